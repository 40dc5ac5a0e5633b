"""SQL for documents: lookups, keyset pages (root and per company), search, statistics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import asyncpg

from app.db.params import Params, sql_limit
from app.db.projection import FULL, Projection, RenderedNodes, aggregate

__all__ = [
    "DocumentCriteria",
    "DocumentPage",
    "count_documents",
    "count_documents_for_companies",
    "document_statistics",
    "documents_by_ids",
    "list_documents",
    "list_documents_for_companies",
    "rank_documents",
    "search_documents",
]

COLUMNS = (
    "d.id, d.company_id, d.project_id, d.filename, d.document_type, d.category, d.status, "
    "d.processing_status, d.mime_type, d.file_size, d.uploaded_at"
)


class Executor(Protocol):
    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]: ...


@dataclass(frozen=True, slots=True)
class DocumentCriteria:
    """A validated DocumentFilter; hashable so it can be part of a loader key."""

    company_id: int | None = None
    document_type: str | None = None
    status: str | None = None
    processing_status: str | None = None
    uploaded_after: datetime | None = None
    uploaded_before: datetime | None = None
    tag: str | None = None
    # Set instead of ``tag`` when the metadata store is not in PostgreSQL: the ids it tagged.
    document_ids: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class DocumentPage:
    rows: list[asyncpg.Record]
    has_next: bool
    # Read through an aggregated projection: the page's rendered JSON instead of rows.
    rendered: RenderedNodes | None = None


def _conditions(criteria: DocumentCriteria, params: Params) -> list[str]:
    where: list[str] = []
    if criteria.company_id is not None:
        where.append(f"d.company_id = {params.add(criteria.company_id)}")
    if criteria.document_type is not None:
        where.append(f"d.document_type = {params.add(criteria.document_type)}")
    if criteria.status is not None:
        where.append(f"d.status = {params.add(criteria.status)}")
    if criteria.processing_status is not None:
        where.append(f"d.processing_status = {params.add(criteria.processing_status)}")
    if criteria.uploaded_after is not None:
        where.append(f"d.uploaded_at >= {params.add(criteria.uploaded_after)}")
    if criteria.uploaded_before is not None:
        where.append(f"d.uploaded_at < {params.add(criteria.uploaded_before)}")
    if criteria.tag is not None:
        where.append(
            "EXISTS (SELECT 1 FROM document_metadata m WHERE m.document_id = d.id "
            f"AND m.tags @> ARRAY[{params.add(criteria.tag)}::text])"
        )
    if criteria.document_ids is not None:
        where.append(f"d.id = ANY({params.add(list(criteria.document_ids))}::bigint[])")
    return where


def _scope(scope: Sequence[int] | None, params: Params) -> list[str]:
    return [] if scope is None else [f"d.company_id = ANY({params.add(list(scope))}::bigint[])"]


def _keyset(ascending: bool, after: tuple[datetime, int] | None, params: Params) -> list[str]:
    if after is None:
        return []
    op = ">" if ascending else "<"
    return [f"(d.uploaded_at, d.id) {op} ({params.add(after[0])}, {params.add(after[1])})"]


def _order(ascending: bool, alias: str = "d") -> str:
    direction = "ASC" if ascending else "DESC"
    return f"{alias}.uploaded_at {direction}, {alias}.id {direction}"


def _page(rows: list[asyncpg.Record], first: int) -> DocumentPage:
    return DocumentPage(rows[:first], len(rows) > first)


def _aggregated_page(row: asyncpg.Record, first: int) -> DocumentPage:
    nodes = RenderedNodes(row, first)
    return DocumentPage([], nodes.has_next, nodes)


def _where(parts: list[str]) -> str:
    return " AND ".join(parts) if parts else "TRUE"


async def documents_by_ids(
    db: Executor,
    ids: Sequence[int],
    scope: Sequence[int] | None,
    projection: Projection = FULL,
) -> list[asyncpg.Record]:
    """Rows for ``ids`` that lie in ``scope`` (any order; absent ids are simply missing)."""
    params = Params(list(ids))
    where = ["d.id = ANY($1::bigint[])", *_scope(scope, params)]
    joins = projection.join_clauses(scope, params)
    select = projection.select_list
    return await db.fetch(
        f"SELECT {select} FROM documents d {joins} WHERE {_where(where)}",
        *params.values,
    )


async def list_documents(
    db: Executor,
    scope: Sequence[int] | None,
    criteria: DocumentCriteria,
    *,
    first: int,
    after: tuple[datetime, int] | None,
    ascending: bool,
    projection: Projection = FULL,
) -> DocumentPage:
    """One keyset page of documents across the companies in scope."""
    params = Params()
    where = [
        *_scope(scope, params),
        *_conditions(criteria, params),
        *_keyset(ascending, after, params),
    ]
    joins = projection.join_clauses(scope, params)
    select = projection.select_list
    sql = (
        f"SELECT {select} FROM documents d {joins} WHERE {_where(where)} "
        f"ORDER BY {_order(ascending)} LIMIT {sql_limit(first + 1)}"
    )
    if projection.aggregated:
        rows = await db.fetch(aggregate(projection, sql, _order(ascending, "p")), *params.values)
        return _aggregated_page(rows[0], first)
    return _page(await db.fetch(sql, *params.values), first)


async def list_documents_for_companies(
    db: Executor,
    company_ids: Sequence[int],
    criteria: DocumentCriteria,
    *,
    first: int,
    after: tuple[datetime, int] | None,
    ascending: bool,
    scope: Sequence[int] | None = None,
    projection: Projection = FULL,
) -> dict[int, DocumentPage]:
    """The same page for every company in one query (LATERAL over the key list).

    The joins run inside the LATERAL, after its LIMIT: each company's rows stay in page
    order, and only the rows of the page are joined. ``scope`` is the caller's (the
    companies are already checked against it; joins apply it as their lookups do).
    """
    params = Params(list(company_ids))
    where = [
        "d.company_id = k.company_id",
        *_conditions(criteria, params),
        *_keyset(ascending, after, params),
    ]
    limit = sql_limit(first + 1)
    page = (
        f"SELECT * FROM documents d WHERE {_where(where)} "
        f"ORDER BY {_order(ascending)} LIMIT {limit}"
    )
    if projection.joins or projection.renders:
        joins = projection.join_clauses(scope, params)
        # (an aggregated page's arrays are ordered by the aggregates themselves)
        order = "" if projection.aggregated else f" ORDER BY {_order(ascending)}"
        page = f"SELECT {projection.select_list} FROM ({page}) d {joins}{order}"
        select = "d.*"
    else:
        select = projection.select_list
    if projection.aggregated:  # one row per company
        page = aggregate(projection, page, _order(ascending, "p"))
        select = "k.company_id, d.*"
    sql = (
        f"SELECT {select} FROM unnest($1::bigint[]) AS k(company_id) CROSS JOIN LATERAL ({page}) d"
    )
    if projection.aggregated:
        rows = await db.fetch(sql, *params.values)
        return {row["company_id"]: _aggregated_page(row, first) for row in rows}
    grouped: dict[int, list[asyncpg.Record]] = {cid: [] for cid in company_ids}
    for row in await db.fetch(sql, *params.values):
        grouped[row["company_id"]].append(row)
    return {cid: _page(rows, first) for cid, rows in grouped.items()}


async def count_documents(
    db: Executor, scope: Sequence[int] | None, criteria: DocumentCriteria
) -> int:
    params = Params()
    where = [*_scope(scope, params), *_conditions(criteria, params)]
    rows = await db.fetch(f"SELECT count(*) FROM documents d WHERE {_where(where)}", *params.values)
    return int(rows[0][0])


async def count_documents_for_companies(
    db: Executor, company_ids: Sequence[int], criteria: DocumentCriteria
) -> dict[int, int]:
    params = Params(list(company_ids))
    where = ["d.company_id = ANY($1::bigint[])", *_conditions(criteria, params)]
    rows = await db.fetch(
        f"SELECT d.company_id, count(*) FROM documents d WHERE {_where(where)} "
        "GROUP BY d.company_id",
        *params.values,
    )
    counts = dict.fromkeys(company_ids, 0)
    counts.update({row[0]: int(row[1]) for row in rows})
    return counts


async def search_documents(
    db: Executor,
    scope: Sequence[int] | None,
    text: str,
    criteria: DocumentCriteria,
    *,
    first: int,
    after: tuple[float, int] | None,
) -> DocumentPage:
    """Full-text matches ranked best first (ties by newest id); rows carry ``rank``."""
    params = Params(text)
    where = [
        "m.search_vector @@ q.query",
        *_scope(scope, params),
        *_conditions(criteria, params),
    ]
    rank = "ts_rank(m.search_vector, q.query)"
    if after is not None:
        where.append(f"({rank}, d.id) < ({params.add(after[0])}::real, {params.add(after[1])})")
    sql = (
        f"SELECT {COLUMNS}, {rank} AS rank FROM documents d "
        "JOIN document_metadata m ON m.document_id = d.id "
        "CROSS JOIN websearch_to_tsquery('english', $1) AS q(query) "
        f"WHERE {_where(where)} ORDER BY rank DESC, d.id DESC LIMIT {sql_limit(first + 1)}"
    )
    return _page(await db.fetch(sql, *params.values), first)


async def rank_documents(
    db: Executor,
    scope: Sequence[int] | None,
    hits: Sequence[Any],
    criteria: DocumentCriteria,
    *,
    first: int,
) -> DocumentPage:
    """Rows of ranked ``hits`` (document_id, rank) that pass scope and criteria, best first."""
    params = Params([h.document_id for h in hits], [h.rank for h in hits])
    where = [*_scope(scope, params), *_conditions(criteria, params)]
    sql = (
        f"SELECT {COLUMNS}, s.rank FROM unnest($1::bigint[], $2::float8[]) AS s(id, rank) "
        f"JOIN documents d ON d.id = s.id WHERE {_where(where)} "
        f"ORDER BY s.rank DESC, d.id DESC LIMIT {sql_limit(first + 1)}"
    )
    return _page(await db.fetch(sql, *params.values), first)


async def count_search_matches(
    db: Executor, scope: Sequence[int] | None, text: str, criteria: DocumentCriteria
) -> int:
    params = Params(text)
    where = ["m.search_vector @@ websearch_to_tsquery('english', $1)", *_scope(scope, params)]
    where += _conditions(criteria, params)
    rows = await db.fetch(
        "SELECT count(*) FROM documents d JOIN document_metadata m ON m.document_id = d.id "
        f"WHERE {_where(where)}",
        *params.values,
    )
    return int(rows[0][0])


async def document_statistics(
    db: Executor, scope: Sequence[int] | None, company_id: int | None
) -> list[asyncpg.Record]:
    """Counts by type, status, category and processing status, plus the total, in one query.

    Each row has exactly one non-null grouping column, except the total row (all null).
    """
    params = Params()
    where = _scope(scope, params)
    if company_id is not None:
        where.append(f"d.company_id = {params.add(company_id)}")
    sql = (
        "SELECT d.document_type, d.status, d.category, d.processing_status, count(*) AS n, "
        "GROUPING(d.document_type, d.status, d.category, d.processing_status) AS g "
        f"FROM documents d WHERE {_where(where)} "
        "GROUP BY GROUPING SETS ((d.document_type), (d.status), (d.category), "
        "(d.processing_status), ())"
    )
    return await db.fetch(sql, *params.values)
