"""The graphql-core and Strawberry internals of app/fastpath/compat.py still have the shape
the fast path was written against. A failure here means: re-check the fast path against the
new version (and the differential test) before moving the pin in pyproject.toml."""

from __future__ import annotations

import inspect
from importlib.metadata import version

from graphql import GraphQLResolveInfo, GraphQLSchema, parse

from app.fastpath import compat
from schema.build import build_schema

SCHEMA = build_schema()


def test_graphql_core_is_the_tested_minor() -> None:
    assert version("graphql-core").startswith("3.3."), version("graphql-core")


def test_field_collection_signatures() -> None:
    # The compiler passes these positionally; any further parameter must have a default.
    for function, positional in (
        (
            compat.collect_fields,
            ["schema", "fragments", "variable_values", "runtime_type", "operation"],
        ),
        (
            compat.collect_subfields,
            [
                "schema",
                "fragments",
                "variable_values",
                "operation",
                "return_type",
                "field_details_list",
            ],
        ),
    ):
        parameters = list(inspect.signature(function).parameters.values())
        assert [p.name for p in parameters[: len(positional)]] == positional
        assert all(p.default is not p.empty for p in parameters[len(positional) :])


def test_variable_values_carry_the_coerced_mapping() -> None:
    document = parse("query ($n: Int) { __typename }")
    operation = document.definitions[0]
    values = compat.get_variable_values(
        compat.graphql_schema_of(SCHEMA),
        operation.variable_definitions,  # type: ignore[attr-defined]
        {"n": 3},
    )
    assert isinstance(values, compat.VariableValues)
    assert values.coerced == {"n": 3}


def test_resolve_info_is_built_positionally_with_these_fields() -> None:
    # app/fastpath/runner.py builds GraphQLResolveInfo with 14 positional arguments.
    assert list(GraphQLResolveInfo._fields) == [
        "field_name",
        "field_nodes",
        "return_type",
        "parent_type",
        "path",
        "schema",
        "fragments",
        "root_value",
        "operation",
        "variable_values",
        "context",
        "is_awaitable",
        "abort_signal",
        "async_helpers",
    ]
    assert list(compat.GraphQLResolveInfoHelpers._fields) == ["gather", "track"]


def test_strawberry_fields_hang_off_graphql_core_fields() -> None:
    graphql_schema = compat.graphql_schema_of(SCHEMA)
    assert isinstance(graphql_schema, GraphQLSchema)
    field = graphql_schema.get_type("Document").fields["company"]  # type: ignore[union-attr]
    definition = compat.strawberry_field_of(field.extensions)
    assert definition is not None and definition.python_name == "company"
    assert callable(compat.FragmentDetails)
