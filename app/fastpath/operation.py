"""A query operation the fast path can run, and its plans per @skip/@include variant.

Built once per prepared document (app.documents.prepared) from the parse and validation
it already did. Plans depend on the values of the variables used by @skip and @include,
so each operation keeps one plan per combination of those values (bounded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    visit,
)
from graphql.language import Visitor

from app.fastpath.compat import FragmentDetails, VariableValues
from app.fastpath.compiler import Unsupported, compile_plan
from app.fastpath.plan import ObjectPlan
from app.fastpath.variables import VariableCoercion

__all__ = ["VARIANTS_PER_DOCUMENT", "FastOperation", "fast_operation"]

VARIANTS_PER_DOCUMENT = 32
_CONDITIONAL = frozenset({"skip", "include"})


@dataclass(slots=True)
class FastOperation:
    """One query operation of a valid document, ready to be planned per request."""

    schema: GraphQLSchema
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDetails]
    fragment_definitions: dict[str, FragmentDefinitionNode]
    condition_variables: tuple[str, ...]  # variables deciding @skip/@include
    variables: VariableCoercion
    plans: dict[tuple[Any, ...], ObjectPlan | None] = field(default_factory=dict)

    def plan(self, variables: VariableValues) -> ObjectPlan | None:
        """The plan for these variable values, or None when the operation is unsupported."""
        coerced = variables.coerced
        variant = tuple(coerced.get(name) for name in self.condition_variables)
        plans = self.plans
        if variant in plans:
            return plans[variant]
        try:
            plan: ObjectPlan | None = compile_plan(
                self.schema, self.operation, self.fragments, variables
            )
        except (Unsupported, RecursionError):  # too deep to plan: stock decides
            plan = None
        except GraphQLError:  # e.g. a @skip condition stock execution will reject
            return None
        if len(plans) < VARIANTS_PER_DOCUMENT:
            plans[variant] = plan
        return plan


def fast_operation(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> FastOperation | None:
    """The fast path's form of a validated query operation; None when stock must run it."""
    if operation.operation is not OperationType.QUERY:
        return None
    checks = _Checks()
    visit(document, checks)
    if checks.unsupported:
        return None
    definitions = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return FastOperation(
        schema,
        operation,
        {name: FragmentDetails(d) for name, d in definitions.items()},
        definitions,
        tuple(sorted(checks.condition_variables)),
        VariableCoercion(schema, operation.variable_definitions or ()),
    )


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
