"""The compiled form of a query: per object type, the fields to produce and how.

A plan is built once per (document, operation, @skip/@include variable values) and is
immutable afterwards; running it needs only the request's context and variables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import FieldNode, GraphQLField, GraphQLObjectType, GraphQLOutputType

from schema.relations import Relation

__all__ = [
    "ATTRIBUTE",
    "METHOD",
    "RELATION",
    "RESOLVER",
    "TYPENAME",
    "FieldPlan",
    "LeafShape",
    "ListShape",
    "ObjectPlan",
    "ObjectShape",
    "Shape",
]

TYPENAME = 0  # a constant: the parent type's name
ATTRIBUTE = 1  # getattr(parent, attr): what Strawberry's default resolver does
RELATION = 2  # one batched DataLoader.load per distinct key of all parents
RESOLVER = 3  # the field's real Strawberry resolver, called per parent
METHOD = 4  # a plain sync method of the parent (no arguments, no info): method(parent)


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


@dataclass(slots=True)
class FieldPlan:
    """One response key of an object: where its value comes from and how to complete it."""

    key: str
    kind: int
    shape: Shape | None = None  # None for TYPENAME
    constant: str = ""  # TYPENAME
    attr: str = ""  # ATTRIBUTE
    method: Callable[[Any], Any] | None = None  # METHOD
    relation: Relation | None = None  # RELATION
    # RESOLVER: what graphql-core would pass to the resolver.
    field_def: GraphQLField | None = None
    field_nodes: list[FieldNode] = field(default_factory=list)
    parent_type: GraphQLObjectType | None = None
    return_type: GraphQLOutputType | None = None


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
