"""The fast path's variable coercion gives what graphql-core's get_variable_values gives.

Leaf-typed variables without defaults are coerced by VariableCoercion itself; every other
definition, and every value it would not accept, goes to graphql-core. Both are run on the
same generated inputs: the same coerced values and sources, or errors with the same messages.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLSchema, parse, print_ast
from hypothesis import given, settings
from hypothesis import strategies as st

from app.fastpath.compat import get_variable_values, graphql_schema_of
from app.fastpath.variables import VariableCoercion
from schema.build import build_schema

LEAVES = (
    "query($id: ID!, $s: String, $i: Int!, $f: Float, $b: Boolean!, $t: DateTime, "
    "$d: Decimal, $o: DocumentOrder, $n: Int) { __typename }"
)
# A list, an input object and a default: graphql-core coerces these whole operations.
OTHERS = "query($ids: [ID!], $filter: DocumentFilter, $first: Int = 20, $id: ID!) { __typename }"
NAMES = ("id", "s", "i", "f", "b", "t", "d", "o", "n", "ids", "filter", "first")

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(
        ["UPLOADED_AT_DESC", "uploaded_at_desc", "2025-01-01T00:00:00+00:00", "12.50", "1e3"]
    ),
)
_values = st.one_of(
    _scalars,
    st.lists(_scalars, max_size=3),
    st.dictionaries(st.sampled_from(["companyId", "status", "x"]), _scalars, max_size=2),
)
_inputs = st.dictionaries(st.sampled_from(NAMES), _values, max_size=len(NAMES))


@pytest.fixture(scope="module")
def graphql_schema() -> GraphQLSchema:
    return graphql_schema_of(build_schema())


def _definitions(query: str) -> Any:
    return parse(query).definitions[0].variable_definitions  # type: ignore[attr-defined]


def _same(ours: Any, theirs: Any) -> None:
    if isinstance(theirs, list):
        assert isinstance(ours, list)
        assert [e.message for e in ours] == [e.message for e in theirs]
        return
    assert not isinstance(ours, list), [e.message for e in ours]
    assert ours.coerced == theirs.coerced
    assert list(ours.coerced) == list(theirs.coerced)
    assert _sources(ours) == _sources(theirs)


def _sources(values: Any) -> dict[str, Any]:
    """The sources as values (a signature's default is a new object on every call)."""
    described = {}
    for name, source in values.sources.items():
        signature = source.signature
        default = signature.default
        literal = None if default is None else print_ast(default.literal)
        described[name] = (signature.name, str(signature.type), literal, source.value)
    return described


def test_leaf_operations_take_the_short_path_and_others_do_not(
    graphql_schema: GraphQLSchema,
) -> None:
    assert VariableCoercion(graphql_schema, _definitions(LEAVES))._leaves is not None
    assert VariableCoercion(graphql_schema, _definitions(OTHERS))._leaves is None


@pytest.mark.parametrize("query", [LEAVES, OTHERS])
@settings(max_examples=400, deadline=None)
@given(inputs=_inputs)
def test_coercion_equals_graphql_cores(
    graphql_schema: GraphQLSchema, query: str, inputs: dict[str, Any]
) -> None:
    definitions = _definitions(query)
    ours = VariableCoercion(graphql_schema, definitions).coerce(inputs)
    _same(ours, get_variable_values(graphql_schema, definitions, inputs))


TYPES = (
    "ID!",
    "ID",
    "String!",
    "String",
    "Int!",
    "Int",
    "Float!",
    "Float",
    "Boolean!",
    "Boolean",
    "DateTime!",
    "Decimal",
    "DocumentOrder!",
    "DocumentOrder",
    "[ID!]",
    "DocumentFilter",
    "Int = 20",
)


@pytest.mark.parametrize("type_", TYPES)
@settings(max_examples=150, deadline=None)
@given(value=st.one_of(st.just(None), _values), given_at_all=st.booleans())
def test_each_type_alone_equals_graphql_core(
    graphql_schema: GraphQLSchema, type_: str, value: Any, given_at_all: bool
) -> None:
    definitions = _definitions(f"query($v: {type_}) {{ __typename }}")
    inputs = {"v": value} if given_at_all else {}
    ours = VariableCoercion(graphql_schema, definitions).coerce(inputs)
    _same(ours, get_variable_values(graphql_schema, definitions, inputs))


def test_valid_and_invalid_inputs_of_the_reference_queries(graphql_schema: GraphQLSchema) -> None:
    """Q1's and Q3's one variable: a valid id coerced on the short path, the wrong kinds of
    value answered with graphql-core's errors."""
    definitions = _definitions("query($id: ID!) { __typename }")
    coercion = VariableCoercion(graphql_schema, definitions)
    assert coercion.coerce({"id": "501"}).coerced == {"id": "501"}  # type: ignore[union-attr]
    assert coercion.coerce({"id": 501}).coerced == {"id": "501"}  # type: ignore[union-attr]
    for inputs in ({}, {"id": None}, {"id": 1.5}, {"id": True}, {"id": ["1"]}):
        errors = coercion.coerce(inputs)
        assert isinstance(errors, list) and errors, inputs
        _same(errors, get_variable_values(graphql_schema, definitions, inputs))
