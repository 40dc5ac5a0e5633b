"""Compile a validated query operation into an ObjectPlan, or refuse (Unsupported).

Fields are collected by graphql-core's own ``collect_fields``/``collect_subfields`` with
the request's variable values, so order, aliases, merging, fragments and @skip/@include
are exactly the spec's (and stock execution's). Anything the runner cannot reproduce
byte for byte raises Unsupported here, before any work is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLID,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    VariableNode,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    is_specified_scalar_type,
)

from app.fastpath.builder import compile_filler
from app.fastpath.compat import (
    FieldDetailsList,
    FragmentDetails,
    GroupedFieldSet,
    VariableValues,
    collect_fields,
    collect_subfields,
    strawberry_field_of,
)
from app.fastpath.plan import (
    COMPUTED,
    AttributeField,
    CheckedArguments,
    ConnectionField,
    FieldPlan,
    LeafShape,
    ListShape,
    LookupField,
    MethodField,
    ObjectPlan,
    ObjectShape,
    RelationField,
    ResolverField,
    RootListField,
    Shape,
    TypenameField,
)
from app.fastpath.projecting import joined_key, plan_projection
from app.fastpath.rendering import render_spec
from schema.connection_field import CONNECTION_METADATA_KEY
from schema.relations import (
    LOOKUP_METADATA_KEY,
    RELATION_METADATA_KEY,
    ROOT_LIST_METADATA_KEY,
    Relation,
)

__all__ = ["Unsupported", "compile_plan"]

# graphql-core's own scalars return a value of this exact type unchanged.
_PASSTHROUGH: dict[Any, type] = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}


class Unsupported(Exception):
    """The operation uses something the fast path does not reproduce; stock runs it."""


@dataclass(frozen=True, slots=True)
class _Scope:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDetails]
    variables: VariableValues
    operation: OperationDefinitionNode


def compile_plan(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDetails],
    variables: VariableValues,
) -> ObjectPlan:
    """The plan of a query operation for these @skip/@include values; Unsupported if none."""
    root = schema.query_type
    if root is None:
        raise Unsupported("no query type")
    scope = _Scope(schema, fragments, variables, operation)
    grouped, defers, _ = collect_fields(schema, fragments, variables, root, operation)
    if defers:
        raise Unsupported("@defer")
    plan = _object_plan(scope, root, grouped, is_root=True)
    plan.projection, plan.projection_outside = plan_projection(plan)
    return plan


def _object_plan(
    scope: _Scope, parent: GraphQLObjectType, grouped: GroupedFieldSet, *, is_root: bool
) -> ObjectPlan:
    if parent.is_type_of is not None:
        raise Unsupported(f"{parent.name} has is_type_of (interface member)")
    fields = [_field_plan(scope, parent, key, details, is_root) for key, details in grouped.items()]
    plan = ObjectPlan(parent.name, fields)
    plan.render = render_spec(plan)
    for field in fields:
        child = None if isinstance(field, TypenameField) else _child_plan(field.shape)
        if (isinstance(field, COMPUTED) and not isinstance(field, MethodField)) or (
            child is not None and not child.sync
        ):
            plan.sync = False
        if isinstance(field, ResolverField) or (child is not None and child.needs_path):
            plan.needs_path = True
    plan.filler = compile_filler(plan)
    return plan


def _field_plan(
    scope: _Scope, parent: GraphQLObjectType, key: str, details: FieldDetailsList, is_root: bool
) -> FieldPlan:
    node = details[0].node
    name = node.name.value
    if name == "__typename":
        return TypenameField(key, parent.name)
    if name.startswith("__"):
        raise Unsupported("introspection")
    field_def = parent.fields.get(name)
    if field_def is None:
        raise Unsupported(f"unknown field {parent.name}.{name}")
    definition: Any = strawberry_field_of(field_def.extensions)
    if definition is None or definition.extensions:
        raise Unsupported(f"{parent.name}.{name} has field extensions")
    shape = _shape(scope, field_def.type, details)
    metadata = definition.metadata or {}
    relation = metadata.get(RELATION_METADATA_KEY)
    connection = metadata.get(CONNECTION_METADATA_KEY)
    checked = CheckedArguments(_uses_variables(node.arguments or ()))
    if connection is not None and not is_root:
        return ConnectionField(key, shape, connection, "pk", field_def, node, definition, checked)
    lookup = metadata.get(LOOKUP_METADATA_KEY)
    if lookup is not None and is_root:
        return LookupField(key, shape, lookup, field_def, node)
    root_list = metadata.get(ROOT_LIST_METADATA_KEY)
    if root_list is not None and is_root:
        return RootListField(key, shape, root_list, field_def, node, definition, checked)
    method = _plain_method(definition.base_resolver)
    if not is_root and method is not None and relation is None and not field_def.args:
        return MethodField(key, shape, method)
    if is_root or (definition.base_resolver is not None and relation is None):
        return ResolverField(
            key, shape, field_def, [d.node for d in details], parent, field_def.type
        )
    if field_def.args:
        raise Unsupported(f"{parent.name}.{name} takes arguments but has no resolver")
    if isinstance(relation, Relation):
        return RelationField(key, shape, relation, joined_key(parent.name, relation, shape))
    return AttributeField(key, shape, definition.python_name)


def _uses_variables(nodes: Any) -> bool:
    """Whether a variable occurs in these argument (or nested value) nodes: then their
    values differ between requests and cannot be checked once per plan."""
    for node in nodes:
        value = getattr(node, "value", node)
        if isinstance(value, VariableNode):
            return True
        if isinstance(value, ListValueNode) and _uses_variables(value.values):
            return True
        if isinstance(value, ObjectValueNode) and _uses_variables(value.fields):
            return True
    return False


def _plain_method(resolver: Any) -> Any:
    """The function of a resolver that needs nothing but ``self`` and returns a value
    (no arguments, info, root or parent, not async), else None. Strawberry calls it as
    ``resolver(parent)``; so can the runner, without building an info per parent."""
    if resolver is None or resolver.is_async or resolver.arguments:
        return None
    if resolver.self_parameter is None:
        return None
    if resolver.info_parameter or resolver.root_parameter or resolver.parent_parameter:
        return None
    if len(resolver.signature.parameters) != 1:
        return None
    return resolver.wrapped_func


def _shape(scope: _Scope, type_: GraphQLOutputType, details: FieldDetailsList) -> Shape:
    non_null = is_non_null_type(type_)
    if non_null:
        type_ = type_.of_type  # type: ignore[union-attr]
    if is_list_type(type_):
        return ListShape(non_null, _shape(scope, type_.of_type, details))  # type: ignore[union-attr]
    if is_leaf_type(type_):
        return LeafShape(
            non_null,
            type_.coerce_output_value,  # type: ignore[union-attr]
            type_.name,  # type: ignore[union-attr]
            is_specified_scalar_type(type_),
            _PASSTHROUGH.get(type_),
            type_,
        )
    if is_object_type(type_):
        assert isinstance(type_, GraphQLObjectType)
        grouped, defers, _ = collect_subfields(
            scope.schema, scope.fragments, scope.variables, scope.operation, type_, details
        )
        if defers:
            raise Unsupported("@defer")
        return ObjectShape(non_null, _object_plan(scope, type_, grouped, is_root=False))
    raise Unsupported(f"abstract type {type_}")


def _child_plan(shape: Shape | None) -> ObjectPlan | None:
    while isinstance(shape, ListShape):
        shape = shape.item
    return shape.plan if isinstance(shape, ObjectShape) else None
