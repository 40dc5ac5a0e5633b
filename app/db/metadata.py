"""SQL of the PostgreSQL metadata store (table ``document_metadata``)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import asyncpg

from app.db.documents import Executor
from app.db.params import Params, sql_limit
from app.domain import FIELDS, READ_FIELDS  # one list of metadata fields for every backend

__all__ = [
    "FIELDS",
    "all_metadata_ids",
    "count_metadata",
    "delete_metadata",
    "entities_by_document_ids",
    "ids_with_tag",
    "metadata_by_document_ids",
    "metadata_statistics",
    "scan_metadata",
    "search_metadata",
    "set_tags",
    "upsert_many",
    "upsert_metadata",
]

_COLUMNS = ", ".join(FIELDS)
_READ_COLUMNS = ", ".join(f"m.{name}" for name in READ_FIELDS)
_RECORDSET = (
    "r(document_id bigint, tags text[], keywords text[], classification text, summary text, "
    "invoice_number text, vendor_name text, total_amount numeric, currency text, "
    "risk_score double precision, entities jsonb, text text)"
)
_UPDATE_ALL = ", ".join(f"{name} = EXCLUDED.{name}" for name in FIELDS)


def _scope(company_ids: Sequence[int] | None, params: Params) -> str:
    if company_ids is None:
        return "TRUE"
    return f"d.company_id = ANY({params.add(list(company_ids))}::bigint[])"


async def metadata_by_document_ids(
    db: Executor, document_ids: Sequence[int]
) -> list[asyncpg.Record]:
    """Metadata rows (READ_FIELDS: no text, no entities) for the given documents."""
    return await db.fetch(
        f"SELECT m.document_id, {_READ_COLUMNS} "
        "FROM document_metadata m WHERE m.document_id = ANY($1::bigint[])",
        list(document_ids),
    )


async def entities_by_document_ids(
    db: Executor, document_ids: Sequence[int]
) -> list[asyncpg.Record]:
    """(document_id, entities) rows for the given documents."""
    return await db.fetch(
        "SELECT m.document_id, coalesce(m.entities, '[]'::jsonb) AS entities "
        "FROM document_metadata m WHERE m.document_id = ANY($1::bigint[])",
        list(document_ids),
    )


async def upsert_metadata(db: Executor, document_id: int, values: dict[str, Any]) -> None:
    """Write a document's metadata; missing fields get the column defaults."""
    row = {name: values.get(name) for name in FIELDS}
    await db.fetch(
        f"INSERT INTO document_metadata (document_id, {_COLUMNS}) "
        "VALUES ($1, coalesce($2::text[], '{}'), coalesce($3::text[], '{}'), $4, $5, $6, $7, $8, "
        "$9, $10, coalesce($11, '[]'::jsonb), $12) "
        f"ON CONFLICT (document_id) DO UPDATE SET {_UPDATE_ALL}",
        document_id,
        *(row[name] for name in FIELDS),
    )


def _json_ready(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


async def upsert_many(db: Executor, rows: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Write many documents' metadata in one statement; rows whose document is gone are skipped."""
    payload = [
        {"document_id": document_id, **{name: _json_ready(values.get(name)) for name in FIELDS}}
        for document_id, values in rows
    ]
    await db.fetch(
        f"INSERT INTO document_metadata (document_id, {_COLUMNS}) "
        "SELECT r.document_id, coalesce(r.tags, '{}'), coalesce(r.keywords, '{}'), "
        "r.classification, r.summary, r.invoice_number, r.vendor_name, r.total_amount, "
        "r.currency, r.risk_score, coalesce(r.entities, '[]'::jsonb), r.text "
        f"FROM jsonb_to_recordset($1::jsonb) AS {_RECORDSET} "
        "WHERE EXISTS (SELECT 1 FROM documents d WHERE d.id = r.document_id) "
        f"ON CONFLICT (document_id) DO UPDATE SET {_UPDATE_ALL}",
        payload,
    )


async def set_tags(db: Executor, document_id: int, tags: list[str]) -> None:
    await db.fetch(
        "INSERT INTO document_metadata (document_id, tags) VALUES ($1, $2) "
        "ON CONFLICT (document_id) DO UPDATE SET tags = EXCLUDED.tags",
        document_id,
        tags,
    )


async def delete_metadata(db: Executor, document_ids: Sequence[int]) -> int:
    rows = await db.fetch(
        "DELETE FROM document_metadata WHERE document_id = ANY($1::bigint[]) RETURNING 1",
        list(document_ids),
    )
    return len(rows)


async def search_metadata(
    db: Executor,
    company_ids: Sequence[int] | None,
    text: str,
    *,
    tag: str | None,
    after: tuple[float, int] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """(document_id, rank) of full-text matches, best first, ties by higher id."""
    params = Params(text)
    rank = "ts_rank(m.search_vector, q.query)"
    where = ["m.search_vector @@ q.query", _scope(company_ids, params)]
    if tag is not None:
        where.append(f"m.tags @> ARRAY[{params.add(tag)}::text]")
    if after is not None:
        where.append(f"({rank}, d.id) < ({params.add(after[0])}::real, {params.add(after[1])})")
    return await db.fetch(
        f"SELECT d.id AS document_id, {rank} AS rank FROM document_metadata m "
        "JOIN documents d ON d.id = m.document_id "
        "CROSS JOIN websearch_to_tsquery('english', $1) AS q(query) "
        f"WHERE {' AND '.join(where)} ORDER BY rank DESC, d.id DESC LIMIT {sql_limit(limit)}",
        *params.values,
    )


async def ids_with_tag(db: Executor, company_ids: Sequence[int] | None, tag: str) -> list[int]:
    params = Params(tag)
    rows = await db.fetch(
        "SELECT m.document_id FROM document_metadata m JOIN documents d ON d.id = m.document_id "
        f"WHERE m.tags @> ARRAY[$1::text] AND {_scope(company_ids, params)} "
        "ORDER BY m.document_id",
        *params.values,
    )
    return [row[0] for row in rows]


async def metadata_statistics(
    db: Executor, company_ids: Sequence[int] | None
) -> list[asyncpg.Record]:
    """Rows (kind, key, n): kind 'n' is the total, 'c' a classification, 't' a tag."""
    params = Params()
    return await db.fetch(
        "WITH m AS (SELECT m.classification, m.tags FROM document_metadata m "
        f"JOIN documents d ON d.id = m.document_id WHERE {_scope(company_ids, params)}) "
        "SELECT 'n' AS kind, NULL AS key, count(*) AS n FROM m "
        "UNION ALL SELECT 'c', classification, count(*) FROM m "
        "WHERE classification IS NOT NULL GROUP BY classification "
        "UNION ALL SELECT 't', tag, count(*) FROM m, unnest(m.tags) AS tag GROUP BY tag",
        *params.values,
    )


async def scan_metadata(db: Executor, after_id: int, limit: int) -> list[asyncpg.Record]:
    """Complete rows with their document's company and upload time, by ascending id."""
    return await db.fetch(
        f"SELECT m.document_id, d.company_id, d.uploaded_at, "
        f"{', '.join(f'm.{name}' for name in FIELDS)} "
        "FROM document_metadata m JOIN documents d ON d.id = m.document_id "
        "WHERE m.document_id > $1 ORDER BY m.document_id LIMIT $2",
        after_id,
        limit,
    )


async def all_metadata_ids(db: Executor) -> list[int]:
    return [row[0] for row in await db.fetch("SELECT document_id FROM document_metadata")]


async def count_metadata(db: Executor) -> int:
    rows = await db.fetch("SELECT count(*) FROM document_metadata")
    return int(rows[0][0])
