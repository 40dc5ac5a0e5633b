"""SQL for companies, their projects and their relationships."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from app.db.documents import Executor
from app.db.params import Params, like_pattern, sql_limit

__all__ = [
    "CompanyCriteria",
    "CompanyPage",
    "companies_by_ids",
    "count_companies",
    "insert_company",
    "list_companies",
    "projects_by_company_ids",
    "projects_by_ids",
    "relationships_by_company_ids",
]

COLUMNS = "c.id, c.name, c.registration_number, c.industry, c.company_type, c.status, c.created_at"
PROJECT_COLUMNS = (
    "p.id, p.company_id, p.name, p.client, p.value, p.start_date, p.end_date, p.status"
)


@dataclass(frozen=True, slots=True)
class CompanyCriteria:
    status: str | None = None
    company_type: str | None = None
    search: str | None = None


@dataclass(frozen=True, slots=True)
class CompanyPage:
    rows: list[asyncpg.Record]
    has_next: bool


def _where(scope: Sequence[int] | None, criteria: CompanyCriteria, params: Params) -> list[str]:
    where: list[str] = []
    if scope is not None:
        where.append(f"c.id = ANY({params.add(list(scope))}::bigint[])")
    if criteria.status is not None:
        where.append(f"c.status = {params.add(criteria.status)}")
    if criteria.company_type is not None:
        where.append(f"c.company_type = {params.add(criteria.company_type)}")
    if criteria.search is not None:
        where.append(f"c.name ILIKE {params.add(like_pattern(criteria.search))}")
    return where


async def companies_by_ids(
    db: Executor, ids: Sequence[int], scope: Sequence[int] | None
) -> list[asyncpg.Record]:
    params = Params(list(ids))
    where = ["c.id = ANY($1::bigint[])", *_where(scope, CompanyCriteria(), params)]
    return await db.fetch(
        f"SELECT {COLUMNS} FROM companies c WHERE {' AND '.join(where)}", *params.values
    )


async def list_companies(
    db: Executor,
    scope: Sequence[int] | None,
    criteria: CompanyCriteria,
    *,
    first: int,
    after: tuple[str, int] | None,
) -> CompanyPage:
    """Companies ordered by name then id, one keyset page."""
    params = Params()
    where = _where(scope, criteria, params)
    if after is not None:
        where.append(f"(c.name, c.id) > ({params.add(after[0])}, {params.add(after[1])})")
    sql = (
        f"SELECT {COLUMNS} FROM companies c WHERE {' AND '.join(where) or 'TRUE'} "
        f"ORDER BY c.name, c.id LIMIT {sql_limit(first + 1)}"
    )
    rows = await db.fetch(sql, *params.values)
    return CompanyPage(rows[:first], len(rows) > first)


async def count_companies(
    db: Executor, scope: Sequence[int] | None, criteria: CompanyCriteria
) -> int:
    params = Params()
    where = _where(scope, criteria, params)
    rows = await db.fetch(
        f"SELECT count(*) FROM companies c WHERE {' AND '.join(where) or 'TRUE'}", *params.values
    )
    return int(rows[0][0])


async def projects_by_ids(
    db: Executor, ids: Sequence[int], scope: Sequence[int] | None
) -> list[asyncpg.Record]:
    params = Params(list(ids))
    where = "p.id = ANY($1::bigint[])"
    if scope is not None:
        where += f" AND p.company_id = ANY({params.add(list(scope))}::bigint[])"
    return await db.fetch(f"SELECT {PROJECT_COLUMNS} FROM projects p WHERE {where}", *params.values)


async def projects_by_company_ids(db: Executor, company_ids: Sequence[int]) -> list[asyncpg.Record]:
    return await db.fetch(
        f"SELECT {PROJECT_COLUMNS} FROM projects p WHERE p.company_id = ANY($1::bigint[]) "
        "ORDER BY p.company_id, p.id",
        list(company_ids),
    )


async def relationships_by_company_ids(
    db: Executor, company_ids: Sequence[int], scope: Sequence[int] | None
) -> list[asyncpg.Record]:
    """Relationships seen from each company (both directions), other side within scope."""
    params = Params(list(company_ids))
    visible = "" if scope is None else f" AND r.other_id = ANY({params.add(list(scope))}::bigint[])"
    sql = (
        "SELECT r.owner_id, r.other_id, r.relationship_type, r.strength FROM ("
        "  SELECT company_a_id AS owner_id, company_b_id AS other_id, relationship_type, strength"
        "  FROM company_relationships WHERE company_a_id = ANY($1::bigint[])"
        "  UNION ALL"
        "  SELECT company_b_id, company_a_id, relationship_type, strength"
        "  FROM company_relationships WHERE company_b_id = ANY($1::bigint[])"
        f") r WHERE TRUE{visible} ORDER BY r.owner_id, r.other_id, r.relationship_type"
    )
    return await db.fetch(sql, *params.values)


async def insert_company(db: Executor, values: dict[str, Any]) -> asyncpg.Record:
    rows = await db.fetch(
        "INSERT INTO companies AS c (name, registration_number, industry, company_type, "
        "contact, tax_info) VALUES ($1, $2, $3, $4, $5, $6) "
        f"RETURNING {COLUMNS}",
        values["name"],
        values.get("registration_number"),
        values.get("industry"),
        values["company_type"],
        values.get("contact") or {},
        values.get("tax_info") or {},
    )
    return rows[0]
