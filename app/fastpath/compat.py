"""Every graphql-core and Strawberry internal the fast path relies on, in one place.

The fast path reproduces stock execution byte for byte, so it uses graphql-core's own
field collection and variable coercion and reads Strawberry's field definitions off the
graphql-core types. None of these is public API: graphql-core is pinned to the tested
minor version in pyproject.toml, and tests/app/fastpath/test_compat.py fails loudly when
one of them changes shape.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLSchema
from graphql.execution.collect_fields import (
    FieldDetailsList,
    FragmentDetails,
    GroupedFieldSet,
    collect_fields,
    collect_subfields,
)
from graphql.execution.get_variable_signature import get_variable_signature
from graphql.execution.values import (
    VariableValues,
    VariableValueSource,
    get_argument_values,
    get_variable_values,
)
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry import Schema
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments

__all__ = [
    "DEFINITION_BACKREF",
    "FieldDetailsList",
    "FragmentDetails",
    "GraphQLResolveInfoHelpers",
    "GroupedFieldSet",
    "VariableValueSource",
    "VariableValues",
    "collect_fields",
    "collect_subfields",
    "converted_arguments",
    "get_argument_values",
    "get_variable_signature",
    "get_variable_values",
    "graphql_schema_of",
    "strawberry_field_of",
]

# Where Strawberry keeps its StrawberryField on a graphql-core field's extensions.
DEFINITION_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF


def graphql_schema_of(schema: Schema) -> GraphQLSchema:
    """The graphql-core schema a Strawberry schema executes against."""
    return schema._schema


def strawberry_field_of(extensions: dict[str, Any]) -> Any:
    """The StrawberryField behind a graphql-core field, or None."""
    return extensions.get(DEFINITION_BACKREF)


def converted_arguments(
    schema: GraphQLSchema, definition: Any, values: dict[str, Any]
) -> dict[str, Any]:
    """What Strawberry's resolver wrapper passes a resolver: graphql-core's coerced
    argument values converted to Python (input types, enums), by Python name."""
    strawberry_schema = schema._strawberry_schema  # type: ignore[attr-defined]
    return convert_arguments(  # type: ignore[no-any-return]
        values,
        definition.arguments,
        scalar_registry=strawberry_schema.schema_converter.scalar_registry,
        config=strawberry_schema.config,
    )
