"""Which relations a plan reads from its parents' rows, and which columns it needs.

A plan knows every field it will produce before any SQL runs, so its document statements
can read just those columns and join the single-valued relations (company, metadata,
project) whose selections are plain attributes. ``joined_key`` decides per relation field
at compile time; ``plan_projection`` gathers, over the whole plan, the document attributes
and each joined relation's attributes into one projection (schema.projections).

Correctness never depends on the join having happened: the runner reads a joined value
only where the parent holds one, and loads as before otherwise (documents from a search,
a store outside PostgreSQL, an object built by stock code).
"""

from __future__ import annotations

from collections.abc import Iterator

from app.db.projection import Projection, Rendered
from app.fastpath.complete import object_plan
from app.fastpath.plan import (
    AttributeField,
    LeafShape,
    ListShape,
    ObjectPlan,
    RelationField,
    Shape,
    TypenameField,
)
from schema.projections import JOINED, PROJECTED_TYPES, document_projection
from schema.relations import Relation

__all__ = ["joined_key", "plan_projection"]

_DOCUMENT = "Document"
_CONNECTION = "DocumentConnection"


def _leafy(shape: Shape) -> bool:
    while isinstance(shape, ListShape):
        shape = shape.item
    return isinstance(shape, LeafShape)


def _plain(plan: ObjectPlan) -> bool:
    """Only constants and attributes the projected type holds, with leaf values."""
    allowed = PROJECTED_TYPES.get(plan.type_name)
    if allowed is None:
        return False
    for field in plan.fields:
        if isinstance(field, TypenameField):
            continue
        if not isinstance(field, AttributeField) or field.attr not in allowed:
            return False
        if not _leafy(field.shape):
            return False
    return True


def joined_key(parent: str, relation: Relation, shape: Shape) -> str | None:
    """The key a projected parent holds this relation's value under, when it can."""
    if parent != _DOCUMENT or relation.join is None or relation.many:
        return None
    child = object_plan(shape)
    if child is None or not _plain(child):
        return None
    return JOINED[relation.join]


def _plans(plan: ObjectPlan) -> Iterator[ObjectPlan]:
    yield plan
    for field in plan.fields:
        if isinstance(field, TypenameField):
            continue
        child = object_plan(field.shape)
        if child is not None:
            yield from _plans(child)


def _nodes_only(plan: ObjectPlan) -> ObjectPlan | None:
    """The plan of a connection's ``nodes`` when that is all the connection selects (with
    ``__typename``): no cursor or count needs the documents' rows."""
    if plan.type_name != _CONNECTION:
        return None
    nodes = [field for field in plan.fields if not isinstance(field, TypenameField)]
    if len(nodes) != 1 or not isinstance(nodes[0], AttributeField) or nodes[0].attr != "nodes":
        return None
    return object_plan(nodes[0].shape)


def _aggregated(root: ObjectPlan, documents: list[ObjectPlan]) -> bool:
    """Whether pages may come back aggregated (app.db.projection): the operation's one
    document plan is rendered and is the ``nodes`` of connections selecting nothing else."""
    if len(documents) != 1 or documents[0].render is None:
        return False
    return any(_nodes_only(plan) is documents[0] for plan in _plans(root))


def plan_projection(root: ObjectPlan) -> tuple[Projection | None, Projection | None]:
    """(projection, the same for a metadata store outside PostgreSQL: no metadata join, no
    rendering that needs it); (None, None) when the plan reads no documents, or reads them
    whole and neither joins nor renders anything. Names each rendered plan's JSON."""
    documents = [plan for plan in _plans(root) if plan.type_name == _DOCUMENT]
    if not documents:
        return None, None
    aggregated = _aggregated(root, documents)
    renders: dict[int, Rendered] = {}
    for plan in documents:
        if plan.render is not None and id(plan) not in renders:
            plan.render_key = f"rendered:{len(renders)}"
            spec = plan.render
            renders[id(plan)] = Rendered(plan.render_key, spec.object, spec.checks)
    full = _projection(documents, renders, outside=False, aggregated=aggregated)
    outside = _projection(documents, renders, outside=True, aggregated=aggregated)
    return full, outside


def _projection(
    documents: list[ObjectPlan],
    renders: dict[int, Rendered],
    *,
    outside: bool,
    aggregated: bool,
) -> Projection | None:
    fields: set[str] | None = set()
    joins: dict[str, set[str]] = {}
    rendered: list[Rendered] = []
    allowed = PROJECTED_TYPES[_DOCUMENT]
    for plan in documents:
        if id(plan) in renders and not (outside and plan.render.uses_metadata):
            rendered.append(renders[id(plan)])
            for relation in plan.render.relations:  # the join, for its columns in the SQL
                joins.setdefault(relation.join, set())
            continue
        for field in plan.fields:
            if isinstance(field, TypenameField | RelationField):
                if isinstance(field, RelationField) and field.joined is not None:
                    child = object_plan(field.shape)
                    assert child is not None and field.relation.join is not None
                    attrs = joins.setdefault(field.relation.join, set())
                    attrs.update(f.attr for f in child.fields if isinstance(f, AttributeField))
                continue
            if isinstance(field, AttributeField) and field.attr in allowed and fields is not None:
                fields.add(field.attr)
            else:  # a method or resolver may read any attribute: read them all
                fields = None
    if outside:
        joins.pop("metadata", None)
    if fields is None and not joins and not rendered:
        return None
    unique = tuple(dict.fromkeys(rendered))
    return document_projection(fields, joins, unique, aggregated=aggregated and len(unique) == 1)
