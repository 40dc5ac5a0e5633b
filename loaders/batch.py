"""Batch functions: many keys in, one query out, results back in key order.

Each takes ``(db, scope, keys)``; ``scope`` is the caller's company ids (None: all).
Keys that match nothing get None (single) or an empty list / page (many). Keys with
arguments are grouped by those arguments, one query per distinct group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

import asyncpg
import strawberry

from app.db import companies as company_sql
from app.db import documents as document_sql
from app.db import ledger as ledger_sql
from app.db.session import DbSession
from app.metadata.documents import narrow_by_tag
from app.metadata.store import MetadataStore
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
    ExtractedEntity,
    FinancialSummary,
    LedgerEntry,
    Project,
)

__all__ = ["Page"]

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")
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
    store: MetadataStore, scope: Scope, document_ids: Sequence[int]
) -> list[DocumentMetadata | None]:
    """Keys are ids of documents already checked against the scope by their parent."""
    found = await store.fetch_many(document_ids)
    by_id = {doc_id: DocumentMetadata.from_row(row) for doc_id, row in found.items()}
    return [by_id.get(i) for i in document_ids]


async def entities(
    store: MetadataStore, scope: Scope, document_ids: Sequence[int]
) -> list[list[ExtractedEntity]]:
    """Keys are ids of documents already checked against the scope by their parent."""
    found = await store.fetch_entities(document_ids)
    return [
        [
            ExtractedEntity(label=e["label"], text=e["text"], start=e["start"], end=e["end"])
            for e in found.get(doc_id, ())
        ]
        for doc_id in document_ids
    ]


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


def _empty_page(key: object) -> Page:  # type: ignore[type-arg]
    return Page([], False)


def _zero(key: object) -> int:
    return 0


class _HasCompany(Protocol):
    @property
    def company_id(self) -> int: ...


KC = TypeVar("KC", bound=_HasCompany)


async def _per_company(
    scope: Scope,
    keys: Sequence[KC],
    group_of: Callable[[KC], Hashable],
    fetch: Callable[[list[int], KC], Awaitable[dict[int, V]]],
    missing: Callable[[KC], V],
) -> list[V]:
    """One ``fetch`` per group of keys sharing arguments, for all their visible companies."""
    results: dict[KC, V] = {}
    for group in _grouped(keys, group_of).values():
        company_ids = [k.company_id for k in group if _visible(scope, k.company_id)]
        found = await fetch(company_ids, group[0]) if company_ids else {}
        for key in group:
            results[key] = found[key.company_id] if key.company_id in found else missing(key)
    return [results[k] for k in keys]


async def company_documents(
    db: DbSession,
    scope: Scope,
    keys: Sequence[DocumentPageKey],
    *,
    store: MetadataStore | None = None,
) -> list[Page[Document]]:
    async def fetch(company_ids: list[int], key: DocumentPageKey) -> dict[int, Page[Document]]:
        criteria = await narrow_by_tag(store, key.criteria, company_ids)
        pages = await document_sql.list_documents_for_companies(
            db, company_ids, criteria, first=key.first, after=key.after, ascending=key.ascending
        )
        return {
            cid: Page([Document.from_row(r) for r in page.rows], page.has_next)
            for cid, page in pages.items()
        }

    return await _per_company(
        scope, keys, lambda k: (k.criteria, k.first, k.after, k.ascending), fetch, _empty_page
    )


async def company_document_counts(
    db: DbSession,
    scope: Scope,
    keys: Sequence[DocumentCountKey],
    *,
    store: MetadataStore | None = None,
) -> list[int]:
    async def fetch(company_ids: list[int], key: DocumentCountKey) -> dict[int, int]:
        criteria = await narrow_by_tag(store, key.criteria, company_ids)
        return await document_sql.count_documents_for_companies(db, company_ids, criteria)

    return await _per_company(scope, keys, lambda k: k.criteria, fetch, _zero)


async def company_ledger(
    db: DbSession, scope: Scope, keys: Sequence[LedgerPageKey]
) -> list[Page[LedgerEntry]]:
    async def fetch(company_ids: list[int], key: LedgerPageKey) -> dict[int, Page[LedgerEntry]]:
        pages = await ledger_sql.list_entries_for_companies(
            db, company_ids, key.criteria, first=key.first, after=key.after
        )
        return {
            cid: Page([LedgerEntry.from_row(r) for r in page.rows], page.has_next)
            for cid, page in pages.items()
        }

    return await _per_company(
        scope, keys, lambda k: (k.criteria, k.first, k.after), fetch, _empty_page
    )


async def company_ledger_counts(
    db: DbSession, scope: Scope, keys: Sequence[LedgerCountKey]
) -> list[int]:
    async def fetch(company_ids: list[int], key: LedgerCountKey) -> dict[int, int]:
        return await ledger_sql.count_entries_for_companies(db, company_ids, key.criteria)

    return await _per_company(scope, keys, lambda k: k.criteria, fetch, _zero)


def _summary(key: SummaryKey, row: asyncpg.Record | None = None) -> FinancialSummary:
    zero = Decimal("0.00")
    income = row["income"] if row else zero
    expenses = row["expenses"] if row else zero
    withdrawals = row["withdrawals"] if row else zero
    return FinancialSummary(
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


async def financial_summaries(
    db: DbSession, scope: Scope, keys: Sequence[SummaryKey]
) -> list[FinancialSummary]:
    async def fetch(company_ids: list[int], key: SummaryKey) -> dict[int, FinancialSummary]:
        rows = await ledger_sql.financial_summaries(db, company_ids, key.date_from, key.date_to)
        return {
            cid: _summary(SummaryKey(cid, key.date_from, key.date_to), row)
            for cid, row in rows.items()
        }

    return await _per_company(scope, keys, lambda k: (k.date_from, k.date_to), fetch, _summary)
