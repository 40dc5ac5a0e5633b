"""Which document plans PostgreSQL renders as JSON, and the JSON each renders.

A document plan (with its joined company, metadata and project) whose every field is a
scalar PostgreSQL renders exactly as the GraphQL scalar serializes (schema.projections
RENDERABLE) gets a ``Rendered``: the document statement then returns each object's JSON text,
and the parent's filler puts it in the response as an orjson.Fragment, with no row
decoding and no per-field completion. What stock execution would report as an error (a
missing non-null relation, a null item in ``[String!]``, an infinite timestamp) makes the
rendering NULL, and a NULL makes the whole request go to stock execution.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson

from app.db.projection import JsonObject
from app.fastpath.complete import object_plan
from app.fastpath.plan import (
    AttributeField,
    LeafShape,
    ListShape,
    ObjectPlan,
    ObjectShape,
    RelationField,
    Shape,
    TypenameField,
)
from schema.projections import RENDER_ALIASES, RENDERABLE, render_check, render_value
from schema.relations import Relation

__all__ = ["RenderSpec", "render_spec"]

# A GraphQL Name: type names and response keys (keys become SQL literals: app.db.projection).
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


@dataclass(frozen=True, slots=True)
class RenderSpec:
    """The JSON of one document plan, the checks it needs, the joined relations it reads
    (their cache tags are recorded per rendered document), and whether it needs the
    metadata join (not made for a metadata store outside PostgreSQL)."""

    object: JsonObject
    checks: tuple[str, ...]
    relations: tuple[Relation, ...]
    uses_metadata: bool


def render_spec(plan: ObjectPlan) -> RenderSpec | None:
    """The rendering of a ``Document`` plan, or None when a field cannot be rendered."""
    if plan.type_name != "Document":
        return None
    checks: list[str] = []
    relations: list[Relation] = []
    rendered = _object(plan, checks, relations)
    if rendered is None:
        return None
    uses_metadata = any(relation.join == "metadata" for relation in relations)
    return RenderSpec(rendered, tuple(checks), tuple(relations), uses_metadata)


def _key(key: str) -> str:
    return orjson.dumps(key).decode() + ":"


def _object(
    plan: ObjectPlan,
    checks: list[str],
    relations: list[Relation],
    null_when: str | None = None,
) -> JsonObject | None:
    table = RENDERABLE.get(plan.type_name)
    if table is None or not _NAME.fullmatch(plan.type_name):
        return None
    alias, _ = RENDER_ALIASES[plan.type_name]
    members: list[tuple[str, str | JsonObject]] = []
    for field in plan.fields:
        if not _NAME.fullmatch(field.key):
            return None
        if isinstance(field, TypenameField):
            members.append((_key(field.key), f"'\"{plan.type_name}\"'"))
            continue
        if isinstance(field, AttributeField):
            entry = table.get(field.attr)
            if entry is None or not _fits(field.shape, entry):
                return None
            column, _, _, not_null, kind = entry
            members.append((_key(field.key), render_value(alias, column, kind, not_null)))
            check = render_check(alias, column, kind)
            if check is not None:
                checks.append(check)
            continue
        if (
            isinstance(field, RelationField)
            and field.joined is not None
            and plan.type_name == ("Document")
        ):
            child = object_plan(field.shape)
            if child is None or not isinstance(field.shape, ObjectShape):
                return None
            child_alias, key_column = RENDER_ALIASES[child.type_name]
            missing = f"{child_alias}.{key_column} IS NULL"
            if field.shape.non_null:
                checks.append(f"NOT ({missing})")
                nested = _object(child, checks, relations)
            else:
                nested = _object(child, checks, relations, null_when=missing)
            if nested is None:
                return None
            relations.append(field.relation)
            members.append((_key(field.key), nested))
            continue
        return None
    return JsonObject(tuple(members), null_when)


def _fits(shape: Shape, entry: tuple[str, str, bool, bool, str]) -> bool:
    """The field's GraphQL type is the one the rendering reproduces."""
    _, scalar, is_list, not_null, _ = entry
    if is_list:
        if not isinstance(shape, ListShape) or not isinstance(shape.item, LeafShape):
            return False
        item = shape.item
        return item.type_name == scalar and item.non_null and (not shape.non_null or not_null)
    if not isinstance(shape, LeafShape):
        return False
    return shape.type_name == scalar and (not shape.non_null or not_null)
