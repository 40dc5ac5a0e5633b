"""SQL for ledger entries: keyset pages per company and the financial summary aggregate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from app.db.documents import Executor
from app.db.params import Params, sql_limit

__all__ = [
    "LedgerCriteria",
    "LedgerPage",
    "count_entries_for_companies",
    "entries_by_ids",
    "financial_summaries",
    "insert_entry",
    "list_entries_for_companies",
]

COLUMNS = (
    "l.id, l.company_id, l.project_id, l.document_id, l.entry_type, l.category, "
    "l.description, l.amount, l.currency, l.reference_number, l.transaction_date, "
    "l.approval_status, l.approved_by"
)


@dataclass(frozen=True, slots=True)
class LedgerCriteria:
    entry_type: str | None = None
    approval_status: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True, slots=True)
class LedgerPage:
    rows: list[asyncpg.Record]
    has_next: bool


def _conditions(criteria: LedgerCriteria, params: Params) -> list[str]:
    where: list[str] = []
    if criteria.entry_type is not None:
        where.append(f"l.entry_type = {params.add(criteria.entry_type)}")
    if criteria.approval_status is not None:
        where.append(f"l.approval_status = {params.add(criteria.approval_status)}")
    if criteria.date_from is not None:
        where.append(f"l.transaction_date >= {params.add(criteria.date_from)}")
    if criteria.date_to is not None:
        where.append(f"l.transaction_date <= {params.add(criteria.date_to)}")
    return where


async def entries_by_ids(
    db: Executor, ids: Sequence[int], scope: Sequence[int] | None
) -> list[asyncpg.Record]:
    params = Params(list(ids))
    where = "l.id = ANY($1::bigint[])"
    if scope is not None:
        where += f" AND l.company_id = ANY({params.add(list(scope))}::bigint[])"
    return await db.fetch(f"SELECT {COLUMNS} FROM ledger_entries l WHERE {where}", *params.values)


async def entries_by_document_ids(
    db: Executor, document_ids: Sequence[int], scope: Sequence[int] | None
) -> list[asyncpg.Record]:
    """The entries recorded against these documents, newest first, in one query."""
    params = Params(list(document_ids))
    where = "l.document_id = ANY($1::bigint[])"
    if scope is not None:
        where += f" AND l.company_id = ANY({params.add(list(scope))}::bigint[])"
    return await db.fetch(
        f"SELECT {COLUMNS} FROM ledger_entries l WHERE {where}"
        " ORDER BY l.transaction_date DESC, l.id DESC",
        *params.values,
    )


async def list_entries_for_companies(
    db: Executor,
    company_ids: Sequence[int],
    criteria: LedgerCriteria,
    *,
    first: int,
    after: tuple[date, int] | None,
) -> dict[int, LedgerPage]:
    """Newest entries first (transaction date, then id) for every company in one query."""
    params = Params(list(company_ids))
    where = ["l.company_id = k.company_id", *_conditions(criteria, params)]
    if after is not None:
        where.append(
            f"(l.transaction_date, l.id) < ({params.add(after[0])}, {params.add(after[1])})"
        )
    sql = (
        f"SELECT {COLUMNS} FROM unnest($1::bigint[]) AS k(company_id) "
        f"CROSS JOIN LATERAL (SELECT * FROM ledger_entries l WHERE {' AND '.join(where)} "
        "ORDER BY l.transaction_date DESC, l.id DESC "
        f"LIMIT {sql_limit(first + 1)}) l"
    )
    grouped: dict[int, list[asyncpg.Record]] = {cid: [] for cid in company_ids}
    for row in await db.fetch(sql, *params.values):
        grouped[row["company_id"]].append(row)
    return {cid: LedgerPage(rows[:first], len(rows) > first) for cid, rows in grouped.items()}


async def count_entries_for_companies(
    db: Executor, company_ids: Sequence[int], criteria: LedgerCriteria
) -> dict[int, int]:
    params = Params(list(company_ids))
    where = ["l.company_id = ANY($1::bigint[])", *_conditions(criteria, params)]
    rows = await db.fetch(
        f"SELECT l.company_id, count(*) FROM ledger_entries l WHERE {' AND '.join(where)} "
        "GROUP BY l.company_id",
        *params.values,
    )
    counts = dict.fromkeys(company_ids, 0)
    counts.update({row[0]: int(row[1]) for row in rows})
    return counts


async def financial_summaries(
    db: Executor, company_ids: Sequence[int], date_from: date | None, date_to: date | None
) -> dict[int, asyncpg.Record]:
    """Approved income, expenses and withdrawals per company over a date range, one query."""
    params = Params(list(company_ids))
    where = ["l.company_id = ANY($1::bigint[])", "l.approval_status = 'approved'"]
    where += _conditions(LedgerCriteria(date_from=date_from, date_to=date_to), params)
    sql = (
        "SELECT l.company_id,"
        " coalesce(sum(l.amount) FILTER (WHERE l.entry_type = 'income'), 0.00) AS income,"
        " coalesce(sum(l.amount) FILTER (WHERE l.entry_type = 'expense'), 0.00) AS expenses,"
        " coalesce(sum(l.amount) FILTER (WHERE l.entry_type = 'withdrawal'), 0.00) AS withdrawals,"
        " count(*) AS entry_count "
        f"FROM ledger_entries l WHERE {' AND '.join(where)} GROUP BY l.company_id"
    )
    return {row["company_id"]: row for row in await db.fetch(sql, *params.values)}


async def insert_entry(db: Executor, values: dict[str, Any]) -> asyncpg.Record:
    rows = await db.fetch(
        "INSERT INTO ledger_entries AS l (company_id, project_id, document_id, entry_type, "
        "category, description, amount, currency, reference_number, transaction_date) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
        f"RETURNING {COLUMNS}",
        values["company_id"],
        values.get("project_id"),
        values.get("document_id"),
        values["entry_type"],
        values.get("category"),
        values.get("description"),
        values["amount"],
        values["currency"],
        values.get("reference_number"),
        values["transaction_date"],
    )
    return rows[0]


async def lock_entry(db: Executor, entry_id: int) -> asyncpg.Record | None:
    """The entry, row-locked until the transaction ends (so approval cannot race)."""
    rows = await db.fetch(
        f"SELECT {COLUMNS} FROM ledger_entries l WHERE l.id = $1 FOR UPDATE", entry_id
    )
    return rows[0] if rows else None


async def approve_entry(db: Executor, entry_id: int, approved_by: str) -> asyncpg.Record:
    rows = await db.fetch(
        "UPDATE ledger_entries AS l SET approval_status = 'approved', approved_by = $2 "
        f"WHERE l.id = $1 RETURNING {COLUMNS}",
        entry_id,
        approved_by,
    )
    return rows[0]
