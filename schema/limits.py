"""Query limits as validation rules: depth, aliases and cost are refused before execution.

They run inside validation (and are cached with it), not in resolvers, so any executor that
takes a validated operation — stock execution or a compiled fast path — is protected alike.
Tokens are limited by the parser itself (``MaxTokensLimiter``), before a document exists.

Cost estimates the number of fields resolved: every field costs 1 plus its subtree, and a
field with a ``first`` argument multiplies its subtree by the page size (its default when
absent; the largest allowed page when it comes from a variable without a default, since
validation does not see variable values; never more than the largest allowed page, which the
field enforces itself). Introspection fields (``__schema``...) are free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
)

from app.errors import QUERY_TOO_COSTLY, QUERY_TOO_DEEP, TOO_MANY_ALIASES

__all__ = ["QueryLimits", "limit_rules"]

MSG_TOO_DEEP = "Query depth {depth} exceeds the limit of {limit}."
MSG_TOO_MANY_ALIASES = "{count} aliases found; the limit is {limit}."
MSG_TOO_COSTLY = "Query cost {cost} exceeds the limit of {limit} (fields x page sizes)."
PAGE_ARGUMENT = "first"


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """Limits for one schema; ``max_page_size`` prices ``first: $variable``."""

    max_depth: int = 12
    max_aliases: int = 30
    max_cost: int = 20_000
    max_page_size: int = 100


def limit_rules(limits: QueryLimits) -> tuple[type[ValidationRule], ...]:
    """Rule classes bound to ``limits``; build once per schema so validation caching works."""

    class DepthRule(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> None:
            walker = _Walker(self.context, limits.max_page_size)
            for operation in _operations(node):
                depth = walker.depth(operation.selection_set, frozenset())
                if depth > limits.max_depth:
                    message = MSG_TOO_DEEP.format(depth=depth, limit=limits.max_depth)
                    self.report_error(
                        GraphQLError(message, operation, extensions={"code": QUERY_TOO_DEEP})
                    )

    class AliasRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.count = 0

        def enter_field(self, node: FieldNode, *_args: Any) -> None:
            if node.alias is not None:
                self.count += 1

        def leave_document(self, node: DocumentNode, *_args: Any) -> None:
            if self.count > limits.max_aliases:
                message = MSG_TOO_MANY_ALIASES.format(count=self.count, limit=limits.max_aliases)
                self.report_error(GraphQLError(message, extensions={"code": TOO_MANY_ALIASES}))

    class CostRule(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> None:
            schema = self.context.schema
            for operation in _operations(node):
                root = {
                    "query": schema.query_type,
                    "mutation": schema.mutation_type,
                    "subscription": schema.subscription_type,
                }[operation.operation.value]
                if root is None:
                    continue
                walker = _Walker(self.context, limits.max_page_size, operation)
                cost = walker.cost(operation.selection_set, root, frozenset())
                if cost > limits.max_cost:
                    message = MSG_TOO_COSTLY.format(cost=cost, limit=limits.max_cost)
                    self.report_error(
                        GraphQLError(message, operation, extensions={"code": QUERY_TOO_COSTLY})
                    )

    return (DepthRule, AliasRule, CostRule)


def _operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


class _Walker:
    """Depth and cost of selection sets, following fragments once each (memoised)."""

    def __init__(
        self,
        context: ValidationContext,
        max_page_size: int,
        operation: OperationDefinitionNode | None = None,
    ) -> None:
        self._context = context
        self._max_page = max_page_size
        self._depths: dict[str, int] = {}
        self._costs: dict[tuple[str, str], int] = {}

    def _fragment(self, name: str) -> FragmentDefinitionNode | None:
        return self._context.get_fragment(name)

    def depth(self, selection_set: SelectionSetNode | None, seen: frozenset[str]) -> int:
        deepest = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__"):
                    continue
                deepest = max(deepest, 1 + self.depth(selection.selection_set, seen))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.depth(selection.selection_set, seen))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self._fragment(name)
                if fragment is None or name in seen:  # other rules report these
                    continue
                if name not in self._depths:
                    self._depths[name] = self.depth(fragment.selection_set, seen | {name})
                deepest = max(deepest, self._depths[name])
        return deepest

    def cost(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType,
        seen: frozenset[str],
    ) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += self._field_cost(selection, parent, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self._type(condition.name.value) if condition else parent
                total += self.cost(selection.selection_set, target or parent, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self._fragment(name)
                if fragment is None or name in seen:
                    continue
                target = self._type(fragment.type_condition.name.value) or parent
                key = (name, target.name)
                if key not in self._costs:
                    self._costs[key] = self.cost(fragment.selection_set, target, seen | {name})
                total += self._costs[key]
        return total

    def _field_cost(self, node: FieldNode, parent: GraphQLNamedType, seen: frozenset[str]) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return 0 if name.startswith("__") else 1
        field = parent.fields.get(name)
        if field is None:
            return 1  # unknown field: FieldsOnCorrectTypeRule reports it
        children = 0
        if node.selection_set is not None:
            children = self.cost(node.selection_set, get_named_type(field.type), seen)
        return 1 + self._page_size(node, field.args) * children

    def _page_size(self, node: FieldNode, args: dict[str, Any]) -> int:
        if PAGE_ARGUMENT not in args:
            return 1
        for argument in node.arguments or ():
            if argument.name.value != PAGE_ARGUMENT:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                # Over the cap the field itself refuses (BAD_USER_INPUT, the precise error).
                return min(max(1, int(value.value)), self._max_page)
            # A variable is priced at the cap: its declared default says nothing about the
            # value a client sends (`$n: Int = 1` with {"n": 100} would slip through).
            return self._max_page
        default = args[PAGE_ARGUMENT].default_value
        return max(1, default) if isinstance(default, int) else self._max_page

    def _type(self, name: str) -> GraphQLNamedType | None:
        return self._context.schema.get_type(name)
