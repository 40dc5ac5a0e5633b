"""Projected documents: the fields an operation selects, read from one joined statement.

``document_projection(fields, joins)`` gives the ``app.db.projection.Projection`` whose
statement reads just those columns (and the keys every relation and cursor needs) and
whose ``build`` makes a ``Document`` from such a row, with each joined relation's object
(``Company``, ``DocumentMetadata``, ``Project``, or None where the row had none) kept under
``JOINED[relation]`` in the document's ``__dict__``, where the fast path looks first.

A projected object holds only the selected attributes: it is made for one fast-path
execution and never leaves it (a fallback to stock execution starts with fresh loaders and
the full projection). Builders are generated once per projection, like the fast path's
fillers: straight-line code that reads the row by position.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

import orjson

from app.db.projection import DOCUMENT_COLUMNS, JOINABLE, Join, Projection, Rendered
from schema.inputs import CompanyType
from schema.types import Company, Document, DocumentMetadata, Project

__all__ = ["JOINED", "PROJECTED_TYPES", "document_projection", "joined_key"]


def joined_key(relation: str) -> str:
    """The ``__dict__`` key of a joined relation's object (never a field name)."""
    return f"joined:{relation}"


JOINED = {name: joined_key(name) for name in JOINABLE}

# attribute -> (column, conversion); the first entry's column is the row's key.
_Fields = Mapping[str, tuple[str, str | None]]
_DOCUMENT: _Fields = {
    "pk": ("id", None),
    "id": ("id", "str"),
    "company_id": ("company_id", None),
    "project_id": ("project_id", None),
    "uploaded_at": ("uploaded_at", None),
    **{name: (name, None) for name in DOCUMENT_COLUMNS if name not in ("id",)},
}
_DOCUMENT_KEYS = ("pk", "company_id", "project_id", "uploaded_at")
_RELATED: dict[str, tuple[type, _Fields, tuple[str, ...]]] = {
    "company": (
        Company,
        {
            "pk": ("id", None),
            "id": ("id", "str"),
            "name": ("name", None),
            "registration_number": ("registration_number", None),
            "industry": ("industry", None),
            "company_type": ("company_type", "company_type"),
            "status": ("status", None),
            "created_at": ("created_at", None),
        },
        ("pk",),
    ),
    "metadata": (
        DocumentMetadata,
        {
            "document_id": ("document_id", None),
            "tags": ("tags", "list"),
            "keywords": ("keywords", "list"),
            "classification": ("classification", None),
            "summary": ("summary", None),
            "invoice_number": ("invoice_number", None),
            "vendor_name": ("vendor_name", None),
            "total_amount": ("total_amount", None),
            "currency": ("currency", None),
            "risk_score": ("risk_score", None),
        },
        ("document_id",),
    ),
    "project": (
        Project,
        {
            "pk": ("id", None),
            "company_id": ("company_id", None),
            "id": ("id", "str"),
            "name": ("name", None),
            "client": ("client", None),
            "value": ("value", None),
            "start_date": ("start_date", None),
            "end_date": ("end_date", None),
            "status": ("status", None),
        },
        ("pk", "company_id"),
    ),
}
# The types whose plans may read projected objects, and the attributes each can hold.
PROJECTED_TYPES: dict[str, frozenset[str]] = {
    "Document": frozenset(_DOCUMENT),
    **{cls.__name__: frozenset(fields) for cls, fields, _ in _RELATED.values()},
}
_CONVERSIONS: dict[str, str] = {
    "str": "str({v})",
    "list": "({v} or [])",
    "company_type": "CompanyType({v})",
}


def document_projection(
    fields: Iterable[str] | None,
    joins: Mapping[str, Iterable[str]],
    renders: tuple[Rendered, ...] = (),
    *,
    aggregated: bool = False,
) -> Projection:
    """The projection reading ``fields`` of Document (None: all of them) and, per joined
    relation, those attributes of its object, and the ``renders`` (each document then holds
    its rendered JSON as an orjson.Fragment, or None where a check failed, under the
    render's name); ``aggregated``: pages come back as one row each (app.db.projection).
    Unknown attributes raise KeyError."""
    document = None if fields is None else frozenset(fields)
    joined = tuple(sorted((name, frozenset(attrs)) for name, attrs in joins.items()))
    return _projection(document, joined, renders, aggregated)


@lru_cache(maxsize=512)
def _projection(
    document: frozenset[str] | None,
    joins: tuple[tuple[str, frozenset[str]], ...],
    renders: tuple[Rendered, ...] = (),
    aggregated: bool = False,
) -> Projection:
    attrs = list(_DOCUMENT) if document is None else _with_keys(_DOCUMENT, document, _DOCUMENT_KEYS)
    columns = _columns(_DOCUMENT, attrs)
    source = _Source()
    entries = _entries(_DOCUMENT, attrs, columns, 0)
    position = len(columns)
    join_list = []
    for relation, wanted in joins:
        cls, fields, keys = _RELATED[relation]
        related_attrs = _with_keys(fields, wanted, keys)
        related_columns = _columns(fields, related_attrs)
        join_list.append(Join(relation, related_columns))
        name = source.related(cls, _entries(fields, related_attrs, related_columns, position))
        entries.append(f'"{JOINED[relation]}": None if row[{position}] is None else {name}(row)')
        position += len(related_columns)
    for rendered in renders:
        entries.append(
            f'"{rendered.name}": None if row[{position}] is None else Fragment(row[{position}])'
        )
        position += 1
    build = source.builder(Document, entries)
    return Projection(columns, tuple(join_list), build, renders, aggregated)


def _with_keys(fields: _Fields, wanted: frozenset[str], keys: tuple[str, ...]) -> list[str]:
    unknown = wanted - set(fields)
    if unknown:
        raise KeyError(f"not projectable: {sorted(unknown)}")
    return [attr for attr in fields if attr in wanted or attr in keys]


def _columns(fields: _Fields, attrs: list[str]) -> tuple[str, ...]:
    """The distinct columns of ``attrs``, key column first (``attrs`` starts with a key)."""
    return tuple(dict.fromkeys(fields[attr][0] for attr in attrs))


def _entries(fields: _Fields, attrs: list[str], columns: tuple[str, ...], offset: int) -> list[str]:
    entries = []
    for attr in attrs:
        column, conversion = fields[attr]
        value = f"row[{offset + columns.index(column)}]"
        if conversion is not None:
            value = _CONVERSIONS[conversion].format(v=value)
        entries.append(f'"{attr}": {value}')
    return entries


class _Source:
    """Generated builder source: only our own attribute names and numbers become text."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {
            "new": object.__new__,
            "CompanyType": CompanyType,
            "Fragment": orjson.Fragment,
        }
        self.lines: list[str] = []

    def related(self, cls: type, entries: list[str]) -> str:
        name = f"build_{cls.__name__}"
        self.namespace[cls.__name__] = cls
        self._function(name, cls.__name__, entries)
        return name

    def builder(self, cls: type, entries: list[str]) -> Callable[[Any], Any]:
        self.namespace[cls.__name__] = cls
        self._function("build", cls.__name__, entries)
        source = "\n".join(self.lines) + "\n"
        exec(compile(source, "<projected document builder>", "exec"), self.namespace)
        build: Callable[[Any], Any] = self.namespace["build"]
        build.source = source  # type: ignore[attr-defined]  # for debugging and tests
        return build

    def _function(self, name: str, cls_name: str, entries: list[str]) -> None:
        self.lines.append(f"def {name}(row):")
        self.lines.append(f"    obj = new({cls_name})")
        self.lines.append("    obj.__dict__ = {" + ", ".join(entries) + "}")
        self.lines.append("    return obj")


# -- Rendered JSON (app.db.projection "Rendered JSON") ------------------------------------
#
# Per projected type: attribute -> (SQL column, the GraphQL scalar its field has, list of
# it, column NOT NULL, how PostgreSQL renders it exactly as the scalar serializes):
#   id       bigint as the ID string              text      to_json(text): orjson's escaping
#   int      a 32-bit integer column              decimal   Decimal's str: the column's text
#   datetime timestamptz as datetime.isoformat() of the UTC value asyncpg gives
#   list     text[] with no NULL item (checked), [String!]
_Render = tuple[str, str, bool, bool, str]
RENDERABLE: dict[str, dict[str, _Render]] = {
    "Document": {
        "id": ("id", "ID", False, True, "id"),
        "filename": ("filename", "String", False, True, "text"),
        "document_type": ("document_type", "String", False, True, "text"),
        "category": ("category", "String", False, True, "text"),
        "status": ("status", "String", False, True, "text"),
        "processing_status": ("processing_status", "String", False, True, "text"),
        "mime_type": ("mime_type", "String", False, False, "text"),
        "file_size": ("file_size", "Int", False, False, "int"),
        "uploaded_at": ("uploaded_at", "DateTime", False, True, "datetime"),
    },
    "Company": {
        "id": ("id", "ID", False, True, "id"),
        "name": ("name", "String", False, True, "text"),
        "registration_number": ("registration_number", "String", False, False, "text"),
        "industry": ("industry", "String", False, False, "text"),
        "status": ("status", "String", False, True, "text"),
        "created_at": ("created_at", "DateTime", False, True, "datetime"),
    },
    "DocumentMetadata": {
        "tags": ("tags", "String", True, True, "list"),
        "keywords": ("keywords", "String", True, True, "list"),
        "classification": ("classification", "String", False, False, "text"),
        "summary": ("summary", "String", False, False, "text"),
        "invoice_number": ("invoice_number", "String", False, False, "text"),
        "vendor_name": ("vendor_name", "String", False, False, "text"),
        "total_amount": ("total_amount", "Decimal", False, False, "decimal"),
        "currency": ("currency", "String", False, False, "text"),
    },
    "Project": {
        "id": ("id", "ID", False, True, "id"),
        "name": ("name", "String", False, True, "text"),
        "client": ("client", "String", False, False, "text"),
        "status": ("status", "String", False, True, "text"),
    },
}
# The table alias of each joinable relation's type, and its key column (NULL: no row).
RENDER_ALIASES = {
    "Document": ("d", "id"),
    **{
        cls.__name__: (JOINABLE[name].alias, fields[keys[0]][0])
        for name, (cls, fields, keys) in _RELATED.items()
    },
}


_UTC = "({ref} AT TIME ZONE 'UTC')"
# datetime.isoformat() of a UTC value. Whole seconds (the common case) take PostgreSQL's
# own JSON text of the timestamp (ISO 8601, 4-digit year, whatever DateStyle says) with
# the offset added: to_char is the costliest call of a rendering (in Q2's 110 rows, this
# cut the page statement's execution time by 8% in EXPLAIN ANALYZE before and after; `python
# -m bench.statements` prints today's). Microseconds take to_char, because
# PostgreSQL drops a fraction's trailing zeros and isoformat() writes all six digits.
_ISO_JSON = (
    f"CASE WHEN date_trunc('second', {_UTC}) = {_UTC} "
    f"THEN rtrim(to_json({_UTC})::text, '\"') || '+00:00\"' "
    f"ELSE to_json(to_char({_UTC}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US+00:00'))::text END"
)
# kind -> the SQL giving a value's JSON text, and what must hold for it to be the scalar's
# (None: nothing); every rendering is coalesced to 'null', never NULL.
_RENDERINGS: dict[str, tuple[str, str | None]] = {
    # digits (and a sign and a point) need no escaping: quoted as they are, no to_json
    "id": ("('\"' || {ref}::text || '\"')", None),
    "text": ("to_json({ref})::text", None),
    "int": ("{ref}::text", None),
    "decimal": ("('\"' || {ref}::text || '\"')", None),
    # infinity is no datetime
    "datetime": (_ISO_JSON, "({ref} IS NULL OR isfinite({ref}))"),
    # [String!]: a NULL item is a GraphQL error
    "list": ("to_json({ref})::text", "({ref} IS NULL OR array_position({ref}, NULL) IS NULL)"),
}


def render_value(alias: str, column: str, kind: str, not_null: bool = False) -> str:
    """The SQL giving the JSON text of ``alias.column``: 'null' for a NULL, except in a
    NOT NULL column, which skips the coalesce (a sixth of Q2's rendering time). Such a
    column is NULL only where its row is missing: inside an object that is then 'null'
    itself, or a required relation whose check fails; any NULL that slipped through makes
    the whole text NULL, and stock execution answers."""
    value = _RENDERINGS[kind][0].format(ref=f"{alias}.{column}")
    return value if not_null else f"coalesce({value}, 'null')"


def render_check(alias: str, column: str, kind: str) -> str | None:
    """What must hold for the rendering to be what the scalar gives (else stock answers)."""
    _, check = _RENDERINGS[kind]
    return None if check is None else check.format(ref=f"{alias}.{column}")
