"""The compiled form of a query: per object type, the fields to produce and how.

A plan is built once per (document, operation, @skip/@include variable values) and is
immutable afterwards; running it needs only the request's context and variables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import FieldNode, GraphQLField, GraphQLObjectType, GraphQLOutputType

from app.db.projection import Projection
from schema.relations import Relation

__all__ = [
    "AttributeField",
    "CheckedArguments",
    "ConnectionField",
    "FieldPlan",
    "LeafShape",
    "ListShape",
    "LookupField",
    "MethodField",
    "ObjectPlan",
    "ObjectShape",
    "RelationField",
    "ResolverField",
    "RootListField",
    "Shape",
    "TypenameField",
]


@dataclass(frozen=True, slots=True)
class LeafShape:
    """A scalar or enum: ``coerce`` is the GraphQL type's own output coercion."""

    non_null: bool
    coerce: Callable[[Any], Any]
    type_name: str
    builtin: bool  # a graphql-core scalar, which rejects exotic values itself
    # A value of exactly this type is its own output (String and ID return a str as it
    # is, Boolean a bool): skipping the call then changes nothing but the cost.
    passthrough: type | None = None
    scalar: Any = None  # the GraphQL type itself (fillers know a few built-in ones)


@dataclass(frozen=True, slots=True)
class ListShape:
    non_null: bool
    item: Shape


@dataclass(frozen=True, slots=True)
class ObjectShape:
    non_null: bool
    plan: ObjectPlan


Shape = LeafShape | ListShape | ObjectShape


# One class per way a response key gets its value.


@dataclass(frozen=True, slots=True)
class TypenameField:
    """``__typename``: a constant, the parent type's name."""

    key: str
    constant: str


@dataclass(frozen=True, slots=True)
class AttributeField:
    """``getattr(parent, attr)``: what Strawberry's default resolver does."""

    key: str
    shape: Shape
    attr: str


@dataclass(frozen=True, slots=True)
class MethodField:
    """A plain sync method of the parent (no arguments, no info): ``method(parent)``."""

    key: str
    shape: Shape
    method: Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class RelationField:
    """One batched load per distinct key of all parents, through the relation's Source;
    ``joined``: the ``__dict__`` key under which a projected parent already holds the
    value (its statement joined the relation), so no load is needed for such parents."""

    key: str
    shape: Shape
    relation: Relation
    joined: str | None = None


@dataclass(frozen=True, slots=True)
class ResolverField:
    """The field's real Strawberry resolver, called per parent with what graphql-core
    would pass it."""

    key: str
    shape: Shape
    field_def: GraphQLField
    field_nodes: list[FieldNode]
    parent_type: GraphQLObjectType
    return_type: GraphQLOutputType


@dataclass(slots=True)
class CheckedArguments:
    """A paged field's checked arguments, kept across requests (app/fastpath/runner.py
    ``_checked``), by page size cap, and by the arguments' values when ``variables`` occur
    in them."""

    variables: bool = True
    kept: dict[Any, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ConnectionField:
    """A per-parent paged list (``Company.documents``) as one step: its arguments checked
    once for all parents, every parent's page in one batched load, no resolver call.

    ``spec`` is the field's ``CompanyList`` (schema.connection_field), read off the
    parent's ``parent_key`` attribute; ``definition`` the StrawberryField, whose
    arguments Strawberry's own conversion turns into the resolver's keyword values."""

    key: str
    shape: Shape
    spec: Any
    parent_key: str
    field_def: GraphQLField
    field_node: FieldNode
    definition: Any
    checked: CheckedArguments = field(default_factory=lambda: CheckedArguments(), compare=False)


@dataclass(frozen=True, slots=True)
class LookupField:
    """A root lookup by ID (``document(id:)``) as one load: ``lookup`` is its
    ``schema.relations.Lookup``, the argument coerced once and checked as the resolver
    checks it."""

    key: str
    shape: Shape
    lookup: Any
    field_def: GraphQLField
    field_node: FieldNode


@dataclass(frozen=True, slots=True)
class RootListField:
    """A root paged list (``companies``, ``documents``) as one call of its
    ``schema.relations.RootList``'s ``page``, without the resolver: arguments converted and
    checked as the resolver does, once per plan and argument values (``checked``)."""

    key: str
    shape: Shape
    spec: Any
    field_def: GraphQLField
    field_node: FieldNode
    definition: Any
    checked: CheckedArguments = field(default_factory=lambda: CheckedArguments(), compare=False)


FieldPlan = (
    TypenameField
    | AttributeField
    | MethodField
    | RelationField
    | ResolverField
    | ConnectionField
    | LookupField
    | RootListField
)
# Fields whose values are computed as a column before the level's dicts are filled.
COMPUTED = (MethodField, RelationField, ResolverField, ConnectionField, LookupField, RootListField)


@dataclass(slots=True)
class ObjectPlan:
    """The collected fields of one selection on one concrete object type, in response order.

    ``sync`` is true when nothing in this subtree loads or resolves (no await needed);
    ``needs_path`` when a resolver in this subtree wants its response path.
    """

    type_name: str
    fields: list[FieldPlan]
    sync: bool = True
    needs_path: bool = False
    # The generated filler of this plan (builder.py), None where the generic runner must work.
    filler: Callable[..., list[Any]] | None = None
    # Root plans only: how documents are read for this plan (None: as always), and the
    # same without the metadata join, for a metadata store outside PostgreSQL.
    projection: Projection | None = None
    projection_outside: Projection | None = None
    # Document plans PostgreSQL can render (app/fastpath/rendering.py), and the name its
    # rendered JSON has on the documents of this execution (set with the projection).
    render: Any = None
    render_key: str | None = None
