"""Root query fields. Each checks the caller first, then asks a loader or a SQL function."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import strawberry

from app.cache import tags
from app.cursors import decode_cursor, encode_cursor
from app.db import companies as company_sql
from app.db import documents as document_sql
from app.db.companies import CompanyCriteria
from app.db.documents import DocumentCriteria
from app.errors import bad_input, not_found
from app.metadata.documents import count_search, narrow_by_tag, search_page
from app.monitoring import snapshot
from loaders import batch
from loaders.keys import SummaryKey
from schema.aggregates import CountBucket, DocumentStatistics, FinancialSummary
from schema.connection_field import connection_field
from schema.connections import (
    Connection,
    check_first,
    empty_connection,
)
from schema.ids import parse_id
from schema.inputs import (
    CompanyFilter,
    DocumentFilter,
    DocumentOrder,
    company_criteria,
    document_criteria,
)
from schema.pages import DOCUMENT_ASC_CURSOR, DOCUMENT_CURSOR, SEARCH_CURSOR, document_connection
from schema.relations import LOOKUP_METADATA_KEY, ROOT_LIST_METADATA_KEY, Lookup, RootList
from schema.system import SystemMetrics, ViewerInfo
from schema.types import (
    COMPANY,
    COMPANY_LEDGER_LIST,
    DOCUMENT,
    FINANCIAL_SUMMARY,
    Company,
    Document,
    LedgerEntry,
)

__all__ = ["Query"]

T = TypeVar("T")
COMPANY_CURSOR = "co"  # companies by (name, id) ascending
MAX_SEARCH_LENGTH = 256
COMPANY_LOOKUP = Lookup(COMPANY)
DOCUMENT_LOOKUP = Lookup(DOCUMENT)


@dataclass(frozen=True, slots=True)
class _CompanyArguments:
    criteria: CompanyCriteria
    first: int
    after: tuple[str, int] | None


def _company_arguments(
    ctx: Any, first: int | None = 20, after: str | None = None, filter: CompanyFilter | None = None
) -> _CompanyArguments:
    checked = check_first(first, ctx.settings.max_page_size, 20)
    criteria = company_criteria(filter)
    after_key = decode_cursor(after, COMPANY_CURSOR, (str, int)) if after else None
    return _CompanyArguments(criteria, checked, after_key)


async def _company_page(ctx: Any, arguments: _CompanyArguments) -> Connection[Company]:
    viewer = ctx.require_viewer()
    criteria = arguments.criteria
    page = await company_sql.list_companies(
        ctx.db, viewer.scope, criteria, first=arguments.first, after=arguments.after
    )
    nodes = [Company.from_row(row) for row in page.rows]
    ctx.cache_tags.add(tags.ALL_COMPANIES)
    companies = ctx.loaders.of(COMPANY)
    for node in nodes:
        companies.prime(node.pk, node)
        ctx.cache_tags.add(tags.company(node.pk))

    def cursor_of(i: int) -> str:
        return encode_cursor(COMPANY_CURSOR, nodes[i].name, nodes[i].pk)

    async def count() -> int:
        return await company_sql.count_companies(ctx.db, viewer.scope, criteria)

    return Connection(nodes=nodes, has_next=page.has_next, cursor_of=cursor_of, count=count)


COMPANY_LIST = RootList(_company_arguments, _company_page)


@dataclass(frozen=True, slots=True)
class _DocumentArguments:
    criteria: DocumentCriteria
    first: int
    after: tuple[datetime, int] | None
    ascending: bool

    @property
    def kind(self) -> str:
        """The cursor kind of this order."""
        return DOCUMENT_ASC_CURSOR if self.ascending else DOCUMENT_CURSOR


def _document_arguments(
    ctx: Any,
    first: int | None = 20,
    after: str | None = None,
    filter: DocumentFilter | None = None,
    order_by: DocumentOrder | None = DocumentOrder.UPLOADED_AT_DESC,
) -> _DocumentArguments:
    checked = check_first(first, ctx.settings.max_page_size, 20)
    criteria = document_criteria(filter)
    ascending = order_by is DocumentOrder.UPLOADED_AT_ASC
    kind = DOCUMENT_ASC_CURSOR if ascending else DOCUMENT_CURSOR
    after_key = decode_cursor(after, kind, (datetime, int)) if after else None
    return _DocumentArguments(criteria, checked, after_key, ascending)


async def _document_page(ctx: Any, arguments: _DocumentArguments) -> Connection[Document]:
    viewer = ctx.require_viewer()
    criteria = arguments.criteria
    if criteria.company_id is not None and not viewer.can_see(criteria.company_id):
        return empty_connection()
    ctx.cache_tags.update(tags.document_list(viewer.scope, criteria.company_id))
    companies = [criteria.company_id] if criteria.company_id is not None else viewer.scope
    criteria = await narrow_by_tag(ctx.metadata, criteria, companies)
    projection = ctx.loaders.projection  # the fast path's columns and joins, or all
    page = await document_sql.list_documents(
        ctx.db,
        viewer.scope,
        criteria,
        first=arguments.first,
        after=arguments.after,
        ascending=arguments.ascending,
        projection=projection,
    )

    async def count() -> int:
        return await document_sql.count_documents(ctx.db, viewer.scope, criteria)

    nodes = batch.document_nodes(page, projection.build or Document.from_row)
    return document_connection(nodes, page.has_next, count, kind=arguments.kind)


DOCUMENT_LIST = RootList(_document_arguments, _document_page)


@strawberry.type
class Query:
    @strawberry.field(metadata={LOOKUP_METADATA_KEY: COMPANY_LOOKUP})
    async def company(self, info: strawberry.Info, id: strawberry.ID) -> Company | None:
        return await COMPANY_LOOKUP.resolve(info.context, id)

    @strawberry.field(metadata={ROOT_LIST_METADATA_KEY: COMPANY_LIST})
    async def companies(
        self,
        info: strawberry.Info,
        first: int | None = 20,
        after: str | None = None,
        filter: CompanyFilter | None = None,
    ) -> Connection[Company]:
        return await COMPANY_LIST.resolve(info.context, first=first, after=after, filter=filter)

    @strawberry.field(metadata={LOOKUP_METADATA_KEY: DOCUMENT_LOOKUP})
    async def document(self, info: strawberry.Info, id: strawberry.ID) -> Document | None:
        return await DOCUMENT_LOOKUP.resolve(info.context, id)

    @strawberry.field(metadata={ROOT_LIST_METADATA_KEY: DOCUMENT_LIST})
    async def documents(
        self,
        info: strawberry.Info,
        first: int | None = 20,
        after: str | None = None,
        filter: DocumentFilter | None = None,
        order_by: DocumentOrder | None = DocumentOrder.UPLOADED_AT_DESC,
    ) -> Connection[Document]:
        return await DOCUMENT_LIST.resolve(
            info.context, first=first, after=after, filter=filter, order_by=order_by
        )

    @strawberry.field(description="Full-text search over document metadata, best match first.")
    async def search_documents(
        self,
        info: strawberry.Info,
        query: str,
        first: int | None = 20,
        after: str | None = None,
        filter: DocumentFilter | None = None,
    ) -> Connection[Document]:
        ctx = info.context
        viewer = ctx.require_viewer()
        first = check_first(first, ctx.settings.max_page_size, 20)
        text = query.strip()
        if not text:
            raise bad_input("query must not be empty.", "query")
        if len(text) > MAX_SEARCH_LENGTH:
            raise bad_input(f"query is limited to {MAX_SEARCH_LENGTH} characters.", "query")
        if "\x00" in text:
            raise bad_input("query must not contain NUL characters.", "query")
        criteria = document_criteria(filter)
        after_key = decode_cursor(after, SEARCH_CURSOR, (float, int)) if after else None
        if criteria.company_id is not None and not viewer.can_see(criteria.company_id):
            return empty_connection()
        ctx.cache_tags.update(tags.document_list(viewer.scope, criteria.company_id))
        page = await search_page(
            ctx.db, ctx.metadata, viewer.scope, text, criteria, first=first, after=after_key
        )

        async def count() -> int:
            return await count_search(ctx.db, ctx.metadata, viewer.scope, text, criteria)

        nodes = [Document.from_row(row) for row in page.rows]
        ranks = [row["rank"] for row in page.rows]
        return document_connection(nodes, page.has_next, count, ranks=ranks)

    ledger_entries: Connection[LedgerEntry] = connection_field(
        COMPANY_LEDGER_LIST, company_argument=True
    )

    @strawberry.field
    async def financial_summary(
        self,
        info: strawberry.Info,
        company_id: strawberry.ID,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> FinancialSummary:
        ctx = info.context
        viewer = ctx.require_viewer()
        company = parse_id(company_id, "companyId")
        if from_ is not None and to is not None and from_ > to:
            raise bad_input("'from' must not be after 'to'.", "from")
        if not viewer.can_see(company) or await ctx.loaders.of(COMPANY).load(company) is None:
            raise not_found(f"Company {company} does not exist.")
        return await ctx.loaders.of(FINANCIAL_SUMMARY).load(SummaryKey(company, from_, to))

    @strawberry.field(description="Counts by type, status, category and processing status.")
    async def document_statistics(
        self, info: strawberry.Info, company_id: strawberry.ID | None = None
    ) -> DocumentStatistics:
        ctx = info.context
        viewer = ctx.require_viewer()
        company = None if company_id is None else parse_id(company_id, "companyId")
        if company is not None and not viewer.can_see(company):
            return _statistics([])
        ctx.cache_tags.update(tags.document_list(viewer.scope, company))
        rows = await document_sql.document_statistics(ctx.db, viewer.scope, company)
        companies = viewer.scope if company is None else [company]
        statistics = _statistics(rows)
        statistics.metadata_statistics = _once(lambda: ctx.metadata.statistics(companies))
        return statistics

    @strawberry.field(description="Process and pool figures. Admins only.")
    async def system_metrics(self, info: strawberry.Info) -> SystemMetrics:
        ctx = info.context
        ctx.require_viewer().require_role("admin")
        return SystemMetrics.from_snapshot(snapshot(ctx.pool))

    @strawberry.field(description="Who the bearer token says you are.")
    def viewer(self, info: strawberry.Info) -> ViewerInfo | None:
        return ViewerInfo.from_viewer(info.context.require_viewer())


_GROUP_COLUMNS = ("document_type", "status", "category", "processing_status")


def _once(make: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[T]]:
    """The first call starts ``make()``; every caller awaits that same result."""
    task: asyncio.Future[T] | None = None

    def get() -> Awaitable[T]:
        nonlocal task
        if task is None:
            task = asyncio.ensure_future(make())
        return task

    return get


def _statistics(rows: list) -> DocumentStatistics:
    buckets: dict[str, list[CountBucket]] = {name: [] for name in _GROUP_COLUMNS}
    total = 0
    for row in rows:
        present = [name for name in _GROUP_COLUMNS if row[name] is not None]
        if row["g"] == 0b1111:  # the grand total: every column aggregated away
            total = int(row["n"])
        elif present:
            buckets[present[0]].append(CountBucket(key=row[present[0]], count=int(row["n"])))
    for values in buckets.values():
        values.sort(key=lambda bucket: (-bucket.count, bucket.key))
    return DocumentStatistics(
        total=total,
        by_type=buckets["document_type"],
        by_status=buckets["status"],
        by_category=buckets["category"],
        by_processing_status=buckets["processing_status"],
    )
