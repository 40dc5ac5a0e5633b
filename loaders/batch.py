"""Batch functions: many keys in, one query out, results back in key order.

Each takes ``(db, scope, keys)``; ``scope`` is the caller's company ids (None: all).
Keys that match nothing get None (single) or an empty list / page (many). Keys with
arguments are grouped by those arguments, one query per distinct group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

import strawberry

from app.db import companies as company_sql
from app.db import documents as document_sql
from app.db import ledger as ledger_sql
from app.db import metadata as metadata_sql
from app.db.session import DbSession
from loaders.keys import (
    DocumentCountKey,
    DocumentPageKey,
    LedgerCountKey,
    LedgerPageKey,
    SummaryKey,
)
from schema.types import (
    Company,
    CompanyRelationship,
    Document,
    DocumentMetadata,
    FinancialSummary,
    LedgerEntry,
    Project,
)

__all__ = ["Page"]

T = TypeVar("T")
K = TypeVar("K")
Scope = Sequence[int] | None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    nodes: list[T]
    has_next: bool


def _visible(scope: Scope, company_id: int) -> bool:
    return scope is None or company_id in scope


def _grouped(keys: Sequence[K], group_of: Callable[[K], Hashable]) -> dict[Hashable, list[K]]:
    groups: dict[Hashable, list[K]] = defaultdict(list)
    for key in keys:
        groups[group_of(key)].append(key)
    return groups


async def companies(db: DbSession, scope: Scope, ids: Sequence[int]) -> list[Company | None]:
    rows = await company_sql.companies_by_ids(db, ids, scope)
    by_id = {row["id"]: Company.from_row(row) for row in rows}
    return [by_id.get(i) for i in ids]


async def documents(db: DbSession, scope: Scope, ids: Sequence[int]) -> list[Document | None]:
    rows = await document_sql.documents_by_ids(db, ids, scope)
    by_id = {row["id"]: Document.from_row(row) for row in rows}
    return [by_id.get(i) for i in ids]


async def projects(db: DbSession, scope: Scope, ids: Sequence[int]) -> list[Project | None]:
    rows = await company_sql.projects_by_ids(db, ids, scope)
    by_id = {row["id"]: Project.from_row(row) for row in rows}
    return [by_id.get(i) for i in ids]


async def ledger_entries(
    db: DbSession, scope: Scope, ids: Sequence[int]
) -> list[LedgerEntry | None]:
    rows = await ledger_sql.entries_by_ids(db, ids, scope)
    by_id = {row["id"]: LedgerEntry.from_row(row) for row in rows}
    return [by_id.get(i) for i in ids]


async def metadata(
    db: DbSession, scope: Scope, document_ids: Sequence[int]
) -> list[DocumentMetadata | None]:
    """Keys are ids of documents already checked against the scope by their parent."""
    rows = await metadata_sql.metadata_by_document_ids(db, document_ids)
    by_id = {row["document_id"]: DocumentMetadata.from_row(row) for row in rows}
    return [by_id.get(i) for i in document_ids]


async def company_projects(
    db: DbSession, scope: Scope, company_ids: Sequence[int]
) -> list[list[Project]]:
    visible = [cid for cid in company_ids if _visible(scope, cid)]
    grouped: dict[int, list[Project]] = defaultdict(list)
    if visible:
        for row in await company_sql.projects_by_company_ids(db, visible):
            grouped[row["company_id"]].append(Project.from_row(row))
    return [grouped.get(cid, []) for cid in company_ids]


async def company_relationships(
    db: DbSession, scope: Scope, company_ids: Sequence[int]
) -> list[list[CompanyRelationship]]:
    visible = [cid for cid in company_ids if _visible(scope, cid)]
    grouped: dict[int, list[CompanyRelationship]] = defaultdict(list)
    if visible:
        for row in await company_sql.relationships_by_company_ids(db, visible, scope):
            grouped[row["owner_id"]].append(
                CompanyRelationship(
                    other_id=row["other_id"],
                    relationship_type=row["relationship_type"],
                    strength=row["strength"],
                )
            )
    return [grouped.get(cid, []) for cid in company_ids]


async def company_documents(
    db: DbSession, scope: Scope, keys: Sequence[DocumentPageKey]
) -> list[Page[Document]]:
    results: dict[DocumentPageKey, Page[Document]] = {}
    for group in _grouped(keys, lambda k: (k.criteria, k.first, k.after, k.ascending)).values():
        sample = group[0]
        company_ids = [k.company_id for k in group if _visible(scope, k.company_id)]
        pages = (
            await document_sql.list_documents_for_companies(
                db,
                company_ids,
                sample.criteria,
                first=sample.first,
                after=sample.after,
                ascending=sample.ascending,
            )
            if company_ids
            else {}
        )
        for key in group:
            page = pages.get(key.company_id)
            results[key] = (
                Page([Document.from_row(r) for r in page.rows], page.has_next)
                if page is not None
                else Page([], False)
            )
    return [results[k] for k in keys]


async def company_document_counts(
    db: DbSession, scope: Scope, keys: Sequence[DocumentCountKey]
) -> list[int]:
    results: dict[DocumentCountKey, int] = {}
    for criteria, group in _grouped(keys, lambda k: k.criteria).items():
        company_ids = [k.company_id for k in group if _visible(scope, k.company_id)]
        counts = (
            await document_sql.count_documents_for_companies(db, company_ids, criteria)  # type: ignore[arg-type]
            if company_ids
            else {}
        )
        for key in group:
            results[key] = counts.get(key.company_id, 0)
    return [results[k] for k in keys]


async def company_ledger(
    db: DbSession, scope: Scope, keys: Sequence[LedgerPageKey]
) -> list[Page[LedgerEntry]]:
    results: dict[LedgerPageKey, Page[LedgerEntry]] = {}
    for group in _grouped(keys, lambda k: (k.criteria, k.first, k.after)).values():
        sample = group[0]
        company_ids = [k.company_id for k in group if _visible(scope, k.company_id)]
        pages = (
            await ledger_sql.list_entries_for_companies(
                db, company_ids, sample.criteria, first=sample.first, after=sample.after
            )
            if company_ids
            else {}
        )
        for key in group:
            page = pages.get(key.company_id)
            results[key] = (
                Page([LedgerEntry.from_row(r) for r in page.rows], page.has_next)
                if page is not None
                else Page([], False)
            )
    return [results[k] for k in keys]


async def company_ledger_counts(
    db: DbSession, scope: Scope, keys: Sequence[LedgerCountKey]
) -> list[int]:
    results: dict[LedgerCountKey, int] = {}
    for criteria, group in _grouped(keys, lambda k: k.criteria).items():
        company_ids = [k.company_id for k in group if _visible(scope, k.company_id)]
        counts = (
            await ledger_sql.count_entries_for_companies(db, company_ids, criteria)  # type: ignore[arg-type]
            if company_ids
            else {}
        )
        for key in group:
            results[key] = counts.get(key.company_id, 0)
    return [results[k] for k in keys]


async def financial_summaries(
    db: DbSession, scope: Scope, keys: Sequence[SummaryKey]
) -> list[FinancialSummary]:
    results: dict[SummaryKey, FinancialSummary] = {}
    for (date_from, date_to), group in _grouped(keys, lambda k: (k.date_from, k.date_to)).items():
        company_ids = [k.company_id for k in group if _visible(scope, k.company_id)]
        rows = (
            await ledger_sql.financial_summaries(db, company_ids, date_from, date_to)  # type: ignore[has-type]
            if company_ids
            else {}
        )
        for key in group:
            row = rows.get(key.company_id)
            income = row["income"] if row else Decimal("0.00")
            expenses = row["expenses"] if row else Decimal("0.00")
            withdrawals = row["withdrawals"] if row else Decimal("0.00")
            results[key] = FinancialSummary(
                company_id=strawberry.ID(str(key.company_id)),
                from_=key.date_from,
                to=key.date_to,
                currency="KES",
                income=income,
                expenses=expenses,
                withdrawals=withdrawals,
                net=income - expenses - withdrawals,
                entry_count=int(row["entry_count"]) if row else 0,
            )
    return [results[k] for k in keys]
