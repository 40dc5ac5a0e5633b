"""Parsed, validated and checked query documents, and their plans, in a bounded LRU.

Keyed by a SHA-256 digest of the operation name and document text. A document that does
not parse, validate or pass the support checks is remembered as ``None`` (stock runs it,
and reports any error). Plans depend on the values of the variables used by @skip and
@include, so each document keeps one plan per combination of those values (bounded too).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ASTValidationRule,
    DirectiveNode,
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    parse,
    specified_rules,
    visit,
)
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.values import VariableValues
from graphql.language import Visitor
from strawberry.schema.schema import validate_document

from app.fastpath.compiler import Unsupported, compile_plan
from app.fastpath.plan import ObjectPlan

__all__ = ["DOCUMENT_CACHE_SIZE", "VARIANTS_PER_DOCUMENT", "DocumentCache", "Prepared"]

DOCUMENT_CACHE_SIZE = 512
VARIANTS_PER_DOCUMENT = 32
_CONDITIONAL = frozenset({"skip", "include"})
_RULES = tuple(specified_rules)


@dataclass(slots=True)
class Prepared:
    """One query operation of a valid document, ready to be planned per request."""

    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDetails]
    fragment_definitions: dict[str, FragmentDefinitionNode]
    condition_variables: tuple[str, ...]  # variables deciding @skip/@include
    plans: dict[tuple[Any, ...], ObjectPlan | None] = field(default_factory=dict)


class DocumentCache:
    """Documents and plans for one schema; every miss is computed once, hits are O(1).

    ``rules`` (validation rules beyond the specified ones, e.g. query limits) and
    ``max_tokens`` (a parser limit) must be the ones stock execution applies, so that the
    fast path accepts exactly the documents stock execution accepts.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        maxsize: int = DOCUMENT_CACHE_SIZE,
        *,
        rules: tuple[type[ASTValidationRule], ...] = (),
        max_tokens: int | None = None,
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be >= 1, got {maxsize}")
        self._schema = schema
        self._maxsize = maxsize
        self._rules = (*_RULES, *rules)
        self._max_tokens = max_tokens
        self._entries: OrderedDict[bytes, Prepared | None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def prepare(self, query: str, operation_name: str | None) -> Prepared | None:
        """The prepared operation, or None when stock execution must handle the document."""
        name = b"\x00" if operation_name is None else b"\x01" + operation_name.encode()
        key = hashlib.sha256(name + b"\x00" + query.encode()).digest()
        entries = self._entries
        try:
            entry = entries[key]
        except KeyError:
            entry = entries[key] = _prepare(
                self._schema, query, operation_name, self._rules, self._max_tokens
            )
            if len(entries) > self._maxsize:
                entries.popitem(last=False)
        else:
            entries.move_to_end(key)
        return entry

    def plan(self, prepared: Prepared, variables: VariableValues) -> ObjectPlan | None:
        """The plan for these variable values, or None when the operation is unsupported."""
        coerced = variables.coerced
        variant = tuple(coerced.get(name) for name in prepared.condition_variables)
        plans = prepared.plans
        if variant in plans:
            return plans[variant]
        try:
            plan: ObjectPlan | None = compile_plan(
                self._schema, prepared.operation, prepared.fragments, variables
            )
        except (Unsupported, RecursionError):  # too deep to plan: stock decides
            plan = None
        except GraphQLError:  # e.g. a @skip condition stock execution will reject
            return None
        if len(plans) < VARIANTS_PER_DOCUMENT:
            plans[variant] = plan
        return plan


def _prepare(
    schema: GraphQLSchema,
    query: str,
    operation_name: str | None,
    rules: tuple[type[ASTValidationRule], ...],
    max_tokens: int | None,
) -> Prepared | None:
    try:
        document = parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return None
    operation = _operation(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return None
    if validate_document(schema, document, rules):
        return None
    checks = _Checks()
    visit(document, checks)
    if checks.unsupported:
        return None
    definitions = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return Prepared(
        operation,
        {name: FragmentDetails(d) for name, d in definitions.items()},
        definitions,
        tuple(sorted(checks.condition_variables)),
    )


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


class _Checks(Visitor):
    """Finds what the fast path refuses (directives other than @skip/@include, fragment
    arguments) and the variables that @skip/@include depend on."""

    def __init__(self) -> None:
        super().__init__()
        self.unsupported = False
        self.condition_variables: set[str] = set()

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        if node.name.value not in _CONDITIONAL:
            self.unsupported = True
            return
        for argument in node.arguments:
            if isinstance(argument.value, VariableNode):
                self.condition_variables.add(argument.value.name.value)

    def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> None:
        if getattr(node, "variable_definitions", None):
            self.unsupported = True

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        if getattr(node, "arguments", None):
            self.unsupported = True
