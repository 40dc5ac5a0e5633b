"""Batch functions: many keys in, one query out, results back in key order.

Each is the ``fetch`` of a Source (loaders.source): ``(backends, scope, keys, build)``;
``scope`` is the caller's company ids (None: all), ``build`` turns a row into the value
callers get. Keys that match nothing get None (single) or an empty list / page (many).
Keys with arguments are grouped by those arguments, one query per distinct group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

from app.db import companies as company_sql
from app.db import documents as document_sql
from app.db import ledger as ledger_sql
from app.metadata.documents import narrow_by_tag
from loaders.keys import (
    DocumentCountKey,
    DocumentPageKey,
    LedgerCountKey,
    LedgerPageKey,
    SummaryKey,
)
from loaders.source import Backends, Build, Fetch, Scope

__all__ = ["Page", "document_nodes"]

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


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


Rows = Callable[[Any, Sequence[int], Scope], Awaitable[Sequence[Any]]]  # (db, keys, scope)


def one_by_id(rows: Rows) -> Fetch:
    """A Source's fetch from a SQL function that reads rows by id: one value per key."""

    async def fetch(b: Backends, scope: Scope, ids: Sequence[int], build: Build) -> list[Any]:
        by_id = {row["id"]: build(row) for row in await rows(b.db, ids, scope)}
        return [by_id.get(i) for i in ids]

    return fetch


def many_by(column: str, rows: Rows) -> Fetch:
    """A Source's fetch from a SQL function that reads the rows of many parents at once:
    each key gets its rows (those whose ``column`` is the key), in the SQL's order."""

    async def fetch(
        b: Backends, scope: Scope, keys: Sequence[int], build: Build
    ) -> list[list[Any]]:
        grouped: dict[int, list[Any]] = defaultdict(list)
        for row in await rows(b.db, keys, scope):
            grouped[row[column]].append(build(row))
        return [grouped.get(key, []) for key in keys]

    return fetch


companies = one_by_id(company_sql.companies_by_ids)


def document_nodes(page: document_sql.DocumentPage, build: Build) -> Any:
    """A page's nodes: its documents, or (read through an aggregated projection) their
    rendered JSON, which only the fast path's filler reads."""
    if page.rendered is not None:
        return page.rendered
    return [build(row) for row in page.rows]


async def documents(b: Backends, scope: Scope, ids: Sequence[int], build: Build) -> list[Any]:
    """By id, in the execution's projection (its columns, its joined relations)."""
    projection = b.projection
    build = projection.build or build
    rows = await document_sql.documents_by_ids(b.db, ids, scope, projection)
    by_id = {row[0]: build(row) for row in rows}  # the id is every projection's first column
    return [by_id.get(i) for i in ids]


projects = one_by_id(company_sql.projects_by_ids)
ledger_entries = one_by_id(ledger_sql.entries_by_ids)


async def metadata(
    b: Backends, scope: Scope, document_ids: Sequence[int], build: Build
) -> list[Any]:
    """Keys are ids of documents already checked against the scope by their parent."""
    found = await b.metadata.fetch_many(document_ids)
    by_id = {doc_id: build(row) for doc_id, row in found.items()}
    return [by_id.get(i) for i in document_ids]


async def entities(
    b: Backends, scope: Scope, document_ids: Sequence[int], build: Build
) -> list[list[Any]]:
    """Keys are ids of documents already checked against the scope by their parent."""
    found = await b.metadata.fetch_entities(document_ids)
    return [[build(e) for e in found.get(doc_id, ())] for doc_id in document_ids]


async def company_projects(
    b: Backends, scope: Scope, company_ids: Sequence[int], build: Build
) -> list[list[Any]]:
    visible = [cid for cid in company_ids if _visible(scope, cid)]
    grouped: dict[int, list[Any]] = defaultdict(list)
    if visible:
        for row in await company_sql.projects_by_company_ids(b.db, visible):
            grouped[row["company_id"]].append(build(row))
    return [grouped.get(cid, []) for cid in company_ids]


async def company_relationships(
    b: Backends, scope: Scope, company_ids: Sequence[int], build: Build
) -> list[list[Any]]:
    visible = [cid for cid in company_ids if _visible(scope, cid)]
    grouped: dict[int, list[Any]] = defaultdict(list)
    if visible:
        for row in await company_sql.relationships_by_company_ids(b.db, visible, scope):
            grouped[row["owner_id"]].append(build(row))
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
    b: Backends, scope: Scope, keys: Sequence[DocumentPageKey], build: Build
) -> list[Page[Any]]:
    projection = b.projection
    build = projection.build or build

    async def fetch(company_ids: list[int], key: DocumentPageKey) -> dict[int, Page[Any]]:
        criteria = await narrow_by_tag(b.metadata, key.criteria, company_ids)
        pages = await document_sql.list_documents_for_companies(
            b.db,
            company_ids,
            criteria,
            first=key.first,
            after=key.after,
            ascending=key.ascending,
            scope=scope,
            projection=projection,
        )
        return {
            cid: Page(document_nodes(page, build), page.has_next) for cid, page in pages.items()
        }

    return await _per_company(
        scope, keys, lambda k: (k.criteria, k.first, k.after, k.ascending), fetch, _empty_page
    )


async def company_document_counts(
    b: Backends, scope: Scope, keys: Sequence[DocumentCountKey], build: Build
) -> list[int]:
    async def fetch(company_ids: list[int], key: DocumentCountKey) -> dict[int, int]:
        criteria = await narrow_by_tag(b.metadata, key.criteria, company_ids)
        return await document_sql.count_documents_for_companies(b.db, company_ids, criteria)

    return await _per_company(scope, keys, lambda k: k.criteria, fetch, _zero)


async def company_ledger(
    b: Backends, scope: Scope, keys: Sequence[LedgerPageKey], build: Build
) -> list[Page[Any]]:
    async def fetch(company_ids: list[int], key: LedgerPageKey) -> dict[int, Page[Any]]:
        pages = await ledger_sql.list_entries_for_companies(
            b.db, company_ids, key.criteria, first=key.first, after=key.after
        )
        return {
            cid: Page([build(r) for r in page.rows], page.has_next) for cid, page in pages.items()
        }

    return await _per_company(
        scope, keys, lambda k: (k.criteria, k.first, k.after), fetch, _empty_page
    )


async def company_ledger_counts(
    b: Backends, scope: Scope, keys: Sequence[LedgerCountKey], build: Build
) -> list[int]:
    async def fetch(company_ids: list[int], key: LedgerCountKey) -> dict[int, int]:
        return await ledger_sql.count_entries_for_companies(b.db, company_ids, key.criteria)

    return await _per_company(scope, keys, lambda k: k.criteria, fetch, _zero)


def _summary_values(key: SummaryKey, row: Any = None) -> dict[str, Any]:
    """What a FinancialSummary is built from: the key's range and the row's sums."""
    zero = Decimal("0.00")
    income = row["income"] if row else zero
    expenses = row["expenses"] if row else zero
    withdrawals = row["withdrawals"] if row else zero
    return {
        "company_id": key.company_id,
        "from": key.date_from,
        "to": key.date_to,
        "income": income,
        "expenses": expenses,
        "withdrawals": withdrawals,
        "net": income - expenses - withdrawals,
        "entry_count": int(row["entry_count"]) if row else 0,
    }


async def financial_summaries(
    b: Backends, scope: Scope, keys: Sequence[SummaryKey], build: Build
) -> list[Any]:
    async def fetch(company_ids: list[int], key: SummaryKey) -> dict[int, Any]:
        rows = await ledger_sql.financial_summaries(b.db, company_ids, key.date_from, key.date_to)
        return {
            cid: build(_summary_values(SummaryKey(cid, key.date_from, key.date_to), row))
            for cid, row in rows.items()
        }

    return await _per_company(
        scope,
        keys,
        lambda k: (k.date_from, k.date_to),
        fetch,
        lambda key: build(_summary_values(key)),
    )
