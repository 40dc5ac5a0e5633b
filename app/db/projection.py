"""Which columns a document statement reads, and which single-valued relations it joins.

The fast path knows, before any SQL runs, which fields of a document (and of its company,
metadata and project) an operation selects. A ``Projection`` lets the document statements
read just those columns and join those relations, so one statement answers what took three
(PostGraphile's approach). Every join keeps the scope its own lookup applies
(``companies_by_ids``, ``projects_by_ids``): a joined row is exactly what the separate load
would have returned, or NULLs where that load would have found nothing.

Joined columns come after the document's, relation by relation, in the projection's order;
the projection's ``build`` (made by the schema, which knows the types) reads them by position.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from app.db.params import Params
from app.domain import READ_FIELDS  # the metadata fields read back (no text, no entities)

__all__ = [
    "DOCUMENT_COLUMNS",
    "FULL",
    "JOINABLE",
    "Join",
    "JsonObject",
    "Projection",
    "Rendered",
    "RenderedNodes",
    "aggregate",
]

# Every column of ``documents``, in the order ``Document.from_row`` expects none of (by name).
DOCUMENT_COLUMNS = (
    "id",
    "company_id",
    "project_id",
    "filename",
    "document_type",
    "category",
    "status",
    "processing_status",
    "mime_type",
    "file_size",
    "uploaded_at",
)


@dataclass(frozen=True, slots=True)
class _Joinable:
    table: str  # with its alias
    alias: str
    on: str
    scope_column: str | None  # the column the caller's scope applies to, as in the lookup
    columns: tuple[str, ...]  # what may be selected
    parent_key: str  # the column of ``documents d`` that ``on`` matches (aggregated pages)


# The single-valued relations of a document whose key is on the document row.
JOINABLE: dict[str, _Joinable] = {
    "company": _Joinable(
        "companies c",
        "c",
        "c.id = d.company_id",
        "c.id",
        (
            "id",
            "name",
            "registration_number",
            "industry",
            "company_type",
            "status",
            "created_at",
        ),
        "company_id",
    ),
    "metadata": _Joinable(
        "document_metadata m",
        "m",
        "m.document_id = d.id",
        None,  # keyed by documents already checked against the scope
        ("document_id", *READ_FIELDS),
        "id",
    ),
    "project": _Joinable(
        "projects p",
        "p",
        "p.id = d.project_id",
        "p.company_id",
        ("id", "company_id", "name", "client", "value", "start_date", "end_date", "status"),
        "project_id",
    ),
}


@dataclass(frozen=True, slots=True)
class Join:
    """One joined relation and the columns read from it (its key column first)."""

    relation: str  # a key of JOINABLE
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Projection:
    """``columns`` of ``documents d`` (a subset of DOCUMENT_COLUMNS, always with the keys
    ``id``, ``company_id``, ``project_id``, ``uploaded_at``), then each join's columns.
    ``build`` turns such a row into a document (None: the schema's full-row builder)."""

    columns: tuple[str, ...] = DOCUMENT_COLUMNS
    joins: tuple[Join, ...] = ()
    build: Callable[[Any], Any] | None = field(default=None, compare=False)
    # Rendered objects, each one more column after the joins' (see "Rendered JSON").
    renders: tuple[Rendered, ...] = ()
    # Pages come back as one row each, their documents' JSON aggregated (``aggregate``;
    # only with exactly one render, whose every field the JSON holds).
    aggregated: bool = False
    # The SELECT list: document columns by name, joined ones as ``"<relation>.<col>"``, then
    # the rendered objects as ``"rendered.<n>"``. Built once (it holds no parameter): a
    # request's statement only adds its own values.
    select_list: str = field(init=False, default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        unknown = set(self.columns) - set(DOCUMENT_COLUMNS)
        for join in self.joins:
            unknown |= set(join.columns) - set(JOINABLE[join.relation].columns)
        if unknown:
            raise ValueError(f"unknown columns in a projection: {sorted(unknown)}")
        if self.aggregated and len(self.renders) != 1:
            raise ValueError("an aggregated projection renders exactly one object")
        parts = [f"d.{name}" for name in self.columns]
        for join in self.joins:
            joinable = JOINABLE[join.relation]
            parts.extend(
                f'{joinable.alias}.{name} AS "{join.relation}.{name}"' for name in join.columns
            )
        parts.extend(
            f'{rendered.sql()} AS "rendered.{n}"' for n, rendered in enumerate(self.renders)
        )
        object.__setattr__(self, "select_list", ", ".join(parts))

    def join_clauses(self, scope: Sequence[int] | None, params: Params) -> str:
        """LEFT JOINs of the joined relations, each scoped as its own lookup is."""
        clauses = []
        for join in self.joins:
            joinable = JOINABLE[join.relation]
            on = joinable.on
            if scope is not None and joinable.scope_column is not None:
                on += f" AND {joinable.scope_column} = ANY({params.add(list(scope))}::bigint[])"
            clauses.append(f"LEFT JOIN {joinable.table} ON {on}")
        return " ".join(clauses)


FULL = Projection()


# -- Rendered JSON ----------------------------------------------------------------------
#
# For plans whose every field PostgreSQL can render exactly as the GraphQL scalars would
# (tests/app/fastpath/test_rendered.py holds the two side by side), the document statement
# also returns each object's JSON text, ready for orjson.Fragment: no row decoding, no
# object, no per-field completion in Python. Client text (response keys) enters the SQL only
# as static literals, once it matched the GraphQL Name grammar (app/fastpath/rendering.py
# renders nothing else) and ``_static``'s check of the whole text.


@dataclass(frozen=True, slots=True)
class JsonObject:
    """An object's members: (the key's JSON text with its colon, the value's SQL: an
    expression giving JSON text, or a nested object). ``null_when``: an SQL condition under
    which the whole object is ``null`` (a nullable relation whose row is missing)."""

    members: tuple[tuple[str, str | JsonObject], ...]
    null_when: str | None = None


@dataclass(frozen=True, slots=True)
class Rendered:
    """One rendered object per row; NULL (stock execution must answer) unless ``checks``
    all hold (what would be a GraphQL error: a missing non-null relation, a null list item)."""

    name: str  # the document's __dict__ key of the rendered text
    object: JsonObject
    checks: tuple[str, ...] = ()

    def sql(self) -> str:
        text = _object_sql(self.object)
        if not self.checks:
            return text
        return f"CASE WHEN {' AND '.join(self.checks)} THEN {text} END"


def _object_sql(obj: JsonObject) -> str:
    """``'{"key":'::text || <value> || ...``: static JSON text as literals, values as our
    own SQL expressions (each giving JSON text, never NULL)."""
    parts: list[str] = []
    for position, (key, value) in enumerate(obj.members):
        parts.append(_static(("{" if position == 0 else ",") + key))
        parts.append(_object_sql(value) if isinstance(value, JsonObject) else value)
    parts.append(_static("}" if obj.members else "{}"))
    text = "(" + " || ".join(parts) + ")"
    if obj.null_when is not None:
        return f"(CASE WHEN {obj.null_when} THEN 'null' ELSE {text} END)"
    return text


# Static JSON text: braces, commas, colons and quoted GraphQL names, never a single quote
# or a backslash, so it is a literal as it stands (whatever standard_conforming_strings says).
_STATIC_TEXT = re.compile(r'[{}\[\],:"_0-9A-Za-z]*')


def _static(text: str) -> str:
    """The literal of static JSON text: as parameters, Q3's 20 keys were encoded and sent on
    every execution of a statement that is prepared once anyway."""
    if not _STATIC_TEXT.fullmatch(text):
        raise ValueError(f"not static JSON text of GraphQL names: {text!r}")
    return f"'{text}'::text"


# -- Aggregated pages ---------------------------------------------------------------------
#
# A page whose documents are rendered and read for nothing else (the plan selects only the
# connection's ``nodes``) needs none of its rows in Python: PostgreSQL returns one row per
# page with the JSON texts and the keys the cache tags name, in page order. Q2's ten
# companies are then ten rows, not 110, and no document object is built.


def aggregate(projection: Projection, page_sql: str, order: str) -> str:
    """The one-row form of ``page_sql`` (a page read through an aggregated projection,
    its rows ordered by ``order`` over the alias ``p``): the rendered texts and, per joined
    relation, its key on each document (its cache tags), each in page order (NULL for an
    empty page), and the row count. Only the keys the joins need are aggregated: each
    ordered aggregate sorts its input on its own (PostgreSQL 15), which showed in Q2's
    execution time."""
    columns = ["count(*) AS rows", f'array_agg(p."rendered.0" ORDER BY {order}) AS rendered']
    for join in projection.joins:
        key = JOINABLE[join.relation].parent_key
        columns.append(f'array_agg(p.{key} ORDER BY {order}) AS "keys.{join.relation}"')
    return f"SELECT {', '.join(columns)} FROM ({page_sql}) p"


class RenderedNodes:
    """A page's documents as PostgreSQL rendered them: one JSON array (None when one
    document failed a check: stock execution must answer) and each document's keys, for
    the cache tags of the relations inside the JSON (``keys("company_id")``...).

    Made only for a fast-path execution and read only by its filler (as Projection's
    documents are): nothing else sees a page of these."""

    __slots__ = ("_row", "first", "fragment", "has_next")

    def __init__(self, row: Any, first: int) -> None:
        """``row`` is ``aggregate``'s, of a page read with ``LIMIT first + 1``."""
        self._row, self.first = row, first
        self.has_next: bool = row["rows"] > first
        texts = (row["rendered"] or [])[:first]
        self.fragment: orjson.Fragment | None = (
            None if None in texts else orjson.Fragment("[" + ",".join(texts) + "]")
        )

    def keys(self, relation: str) -> list[Any]:
        """Each document's key of a relation the projection joins (``company``...)."""
        return (self._row[f"keys.{relation}"] or [])[: self.first]
