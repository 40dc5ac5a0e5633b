"""Variable coercion for the common case, graphql-core's own everywhere else.

Most operations declare a few variables of leaf types without defaults (``$id: ID!``,
``$first: Int``). graphql-core resolves each definition's type against the schema again on
every request (``type_from_ast``, a signature) before it coerces the value; here that is
done once per operation, and a value goes straight to its type's own ``coerce_input_value``,
as graphql-core would send it. Anything else (lists, input objects, defaults, a missing or
null non-null variable, a value the type refuses) is ``get_variable_values``, which also
writes the errors stock execution reports. tests/app/fastpath/test_variables.py holds the
two side by side.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLNonNull,
    GraphQLSchema,
    Undefined,
    VariableDefinitionNode,
    is_leaf_type,
)

from app.fastpath.compat import (
    VariableValues,
    VariableValueSource,
    get_variable_signature,
    get_variable_values,
)

__all__ = ["VariableCoercion"]


@dataclass(frozen=True, slots=True)
class _Leaf:
    signature: Any  # graphql-core's, resolved once
    type: Any  # the leaf type (scalar or enum), inside any NonNull
    non_null: bool


class VariableCoercion:
    """The coerced variables of one operation's requests."""

    __slots__ = ("_definitions", "_leaves", "_schema")

    def __init__(
        self, schema: GraphQLSchema, definitions: Collection[VariableDefinitionNode]
    ) -> None:
        self._schema = schema
        self._definitions = definitions
        self._leaves = _leaves(schema, definitions)

    def coerce(self, inputs: dict[str, Any]) -> VariableValues | list[GraphQLError]:
        if self._leaves is not None:
            values = _coerce_leaves(self._leaves, inputs)
            if values is not None:
                return values
        return get_variable_values(self._schema, self._definitions, inputs)


def _leaves(
    schema: GraphQLSchema, definitions: Collection[VariableDefinitionNode]
) -> tuple[_Leaf, ...] | None:
    """Each definition's signature, when all are leaf types without defaults; else None."""
    leaves = []
    for definition in definitions:
        signature = get_variable_signature(schema, definition)
        if isinstance(signature, GraphQLError) or signature.default is not None:
            return None
        type_ = signature.type
        non_null = isinstance(type_, GraphQLNonNull)
        leaf = type_.of_type if non_null else type_
        if not is_leaf_type(leaf):
            return None
        leaves.append(_Leaf(signature, leaf, non_null))
    return tuple(leaves)


def _coerce_leaves(leaves: tuple[_Leaf, ...], inputs: dict[str, Any]) -> VariableValues | None:
    """What get_variable_values returns for valid inputs; None where it would report an
    error (it then runs and writes the error)."""
    sources: dict[str, Any] = {}
    coerced: dict[str, Any] = {}
    for leaf in leaves:
        name = leaf.signature.name
        value = inputs.get(name, Undefined)
        if value is Undefined:
            if leaf.non_null:
                return None
            sources[name] = VariableValueSource(leaf.signature)
            continue  # a nullable variable not given is omitted
        sources[name] = VariableValueSource(leaf.signature, value)
        if value is None:
            if leaf.non_null:
                return None
            coerced[name] = None
            continue
        try:
            result = leaf.type.coerce_input_value(value)
        except Exception:  # graphql-core reports any failure as an invalid value
            return None
        if result is Undefined:
            return None
        coerced[name] = result
    return VariableValues(sources, coerced)
