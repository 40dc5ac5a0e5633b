"""The object types of the schema. Scalar fields are plain attributes filled from rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
import strawberry

from app.cursors import decode_cursor, encode_cursor
from app.errors import bad_input
from app.metadata.store import MetadataStatistics
from loaders.keys import (
    DocumentCountKey,
    DocumentPageKey,
    LedgerCountKey,
    LedgerPageKey,
    SummaryKey,
)
from schema.connections import Connection, check_first, empty_connection
from schema.inputs import (
    CompanyType,
    DocumentFilter,
    LedgerFilter,
    document_criteria,
    ledger_criteria,
)
from schema.relations import relation

__all__ = [
    "Company",
    "CompanyRelationship",
    "CountBucket",
    "Document",
    "DocumentMetadata",
    "DocumentStatistics",
    "ExtractedEntity",
    "FinancialSummary",
    "LedgerEntry",
    "Project",
]

DOCUMENT_CURSOR = "doc"  # documents newest first: (uploaded_at, id) descending
DOCUMENT_ASC_CURSOR = "doc-asc"  # documents oldest first
SEARCH_CURSOR = "rank"  # search results: (rank, id) descending
LEDGER_CURSOR = "led"  # entries: (transaction_date, id) descending


@strawberry.type
class ExtractedEntity:
    label: str
    text: str
    start: int
    end: int


@strawberry.type
class DocumentMetadata:
    tags: list[str]
    keywords: list[str]
    classification: str | None
    summary: str | None
    invoice_number: str | None
    vendor_name: str | None
    total_amount: Decimal | None
    currency: str | None
    risk_score: float | None
    document_id: strawberry.Private[int]
    # Loaded apart, only when selected: reading and building the entities of every row
    # cost about a fifth of a list query's CPU, and few queries select them.
    entities: list[ExtractedEntity] = relation("entities", "document_id", many=True)

    @classmethod
    def from_row(cls, row: asyncpg.Record | Mapping[str, Any]) -> DocumentMetadata:
        # Lists build hundreds of these per request: the attributes the dataclass
        # __init__ would set are set directly, without its keyword call (a third faster;
        # tests/schema/test_from_row.py checks the result equals the __init__-built one).
        metadata = object.__new__(cls)
        metadata.__dict__ = {
            # asyncpg and pymongo give a new list per row: no copy needed
            "tags": row["tags"] or [],
            "keywords": row["keywords"] or [],
            "classification": row["classification"],
            "summary": row["summary"],
            "invoice_number": row["invoice_number"],
            "vendor_name": row["vendor_name"],
            "total_amount": row["total_amount"],
            "currency": row["currency"],
            "risk_score": row["risk_score"],
            "document_id": row["document_id"],
        }
        return metadata


@strawberry.type
class Project:
    pk: strawberry.Private[int]
    company_id: strawberry.Private[int]
    id: strawberry.ID
    name: str
    client: str | None
    value: Decimal | None
    start_date: date | None
    end_date: date | None
    status: str
    company: Company = relation("company", "company_id")

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Project:
        return cls(
            pk=row["id"],
            company_id=row["company_id"],
            id=strawberry.ID(str(row["id"])),
            name=row["name"],
            client=row["client"],
            value=row["value"],
            start_date=row["start_date"],
            end_date=row["end_date"],
            status=row["status"],
        )


@strawberry.type
class Document:
    pk: strawberry.Private[int]
    company_id: strawberry.Private[int]
    project_id: strawberry.Private[int | None]
    id: strawberry.ID
    filename: str
    document_type: str
    category: str
    status: str
    processing_status: str
    mime_type: str | None
    file_size: int | None
    uploaded_at: datetime
    company: Company = relation("company", "company_id")
    project: Project | None = relation("project", "project_id")
    metadata: DocumentMetadata | None = relation("metadata", "pk")

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Document:
        # As DocumentMetadata.from_row: set directly, what __init__ would set.
        document = object.__new__(cls)
        document.__dict__ = {
            "pk": row["id"],
            "company_id": row["company_id"],
            "project_id": row["project_id"],
            "id": str(row["id"]),
            "filename": row["filename"],
            "document_type": row["document_type"],
            "category": row["category"],
            "status": row["status"],
            "processing_status": row["processing_status"],
            "mime_type": row["mime_type"],
            "file_size": row["file_size"],
            "uploaded_at": row["uploaded_at"],
        }
        return document


@strawberry.type
class LedgerEntry:
    pk: strawberry.Private[int]
    company_id: strawberry.Private[int]
    project_id: strawberry.Private[int | None]
    document_id: strawberry.Private[int | None]
    id: strawberry.ID
    entry_type: str
    category: str | None
    description: str | None
    amount: Decimal
    currency: str
    reference_number: str | None
    transaction_date: date
    approval_status: str
    approved_by: str | None
    company: Company = relation("company", "company_id")
    project: Project | None = relation("project", "project_id")
    document: Document | None = relation("document", "document_id")

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> LedgerEntry:
        return cls(
            pk=row["id"],
            company_id=row["company_id"],
            project_id=row["project_id"],
            document_id=row["document_id"],
            id=strawberry.ID(str(row["id"])),
            entry_type=row["entry_type"],
            category=row["category"],
            description=row["description"],
            amount=row["amount"],
            currency=row["currency"],
            reference_number=row["reference_number"],
            transaction_date=row["transaction_date"],
            approval_status=row["approval_status"],
            approved_by=row["approved_by"],
        )


@strawberry.type
class CompanyRelationship:
    other_id: strawberry.Private[int]
    relationship_type: str
    strength: float
    company: Company = relation("company", "other_id", description="The related company.")


@strawberry.type
class FinancialSummary:
    company_id: strawberry.ID
    from_: date | None = strawberry.field(name="from")
    to: date | None
    currency: str
    income: Decimal
    expenses: Decimal
    withdrawals: Decimal
    net: Decimal = strawberry.field(description="income - expenses - withdrawals")
    entry_count: int


@strawberry.type
class CountBucket:
    key: str
    count: int


@strawberry.type
class DocumentStatistics:
    total: int
    by_type: list[CountBucket]
    by_status: list[CountBucket]
    by_category: list[CountBucket]
    by_processing_status: list[CountBucket]
    # Asked only when a metadata field is selected; one aggregation serves both.
    metadata_statistics: strawberry.Private[Callable[[], Awaitable[MetadataStatistics]] | None] = (
        None
    )

    async def _metadata(self) -> MetadataStatistics:
        if self.metadata_statistics is None:
            return MetadataStatistics()
        return await self.metadata_statistics()

    @strawberry.field(description="Documents by metadata classification, biggest first.")
    async def by_classification(self) -> list[CountBucket]:
        stats = await self._metadata()
        return [CountBucket(key=key, count=n) for key, n in stats.by_classification]

    @strawberry.field(description="Documents carrying each tag, biggest first.")
    async def by_tag(self) -> list[CountBucket]:
        stats = await self._metadata()
        return [CountBucket(key=key, count=n) for key, n in stats.by_tag]


@strawberry.type
class Company:
    pk: strawberry.Private[int]
    id: strawberry.ID
    name: str
    registration_number: str | None
    industry: str | None
    company_type: CompanyType
    status: str
    created_at: datetime
    projects: list[Project] = relation("company_projects", "pk", many=True)
    relationships: list[CompanyRelationship] = relation("company_relationships", "pk", many=True)

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Company:
        return cls(
            pk=row["id"],
            id=strawberry.ID(str(row["id"])),
            name=row["name"],
            registration_number=row["registration_number"],
            industry=row["industry"],
            company_type=CompanyType(row["company_type"]),
            status=row["status"],
            created_at=row["created_at"],
        )

    @strawberry.field
    async def documents(
        self,
        info: strawberry.Info,
        first: int | None = 20,
        after: str | None = None,
        filter: DocumentFilter | None = None,
    ) -> Connection[Document]:
        """This company's newest documents; batched with every other company in the request."""
        ctx = info.context
        criteria = document_criteria(filter)
        first = check_first(first, ctx.settings.max_page_size, 20)
        if criteria.company_id not in (None, self.pk):
            return empty_connection()
        after_key = decode_cursor(after, DOCUMENT_CURSOR, (datetime, int)) if after else None
        key = DocumentPageKey(self.pk, criteria, first, after_key, ascending=False)
        page = await ctx.loaders.company_documents.load(key)
        count_key = DocumentCountKey(self.pk, criteria)
        return document_connection(
            page.nodes, page.has_next, lambda: ctx.loaders.company_document_count.load(count_key)
        )

    @strawberry.field
    async def ledger_entries(
        self,
        info: strawberry.Info,
        first: int | None = 50,
        after: str | None = None,
        filter: LedgerFilter | None = None,
    ) -> Connection[LedgerEntry]:
        ctx = info.context
        criteria = ledger_criteria(filter)
        first = check_first(first, ctx.settings.max_page_size, 50)
        after_key = decode_cursor(after, LEDGER_CURSOR, (date, int)) if after else None
        page = await ctx.loaders.company_ledger.load(
            LedgerPageKey(self.pk, criteria, first, after_key)
        )
        count_key = LedgerCountKey(self.pk, criteria)
        return ledger_connection(
            page.nodes, page.has_next, lambda: ctx.loaders.company_ledger_count.load(count_key)
        )

    @strawberry.field
    async def financial_summary(
        self,
        info: strawberry.Info,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> FinancialSummary:
        if from_ is not None and to is not None and from_ > to:
            raise bad_input("'from' must not be after 'to'.", "from")
        return await info.context.loaders.financial_summary.load(SummaryKey(self.pk, from_, to))


def document_connection(
    nodes: list[Document],
    has_next: bool,
    count: Any,
    *,
    kind: str = DOCUMENT_CURSOR,
    ranks: list[float] | None = None,
) -> Connection[Document]:
    """A connection over ``nodes``; with ``ranks`` the cursors are search-rank cursors."""
    if ranks is None:

        def cursor_of(i: int) -> str:
            return encode_cursor(kind, nodes[i].uploaded_at, nodes[i].pk)
    else:

        def cursor_of(i: int) -> str:
            return encode_cursor(SEARCH_CURSOR, ranks[i], nodes[i].pk)

    return Connection(nodes=nodes, has_next=has_next, cursor_of=cursor_of, count=count)


def ledger_connection(
    nodes: list[LedgerEntry], has_next: bool, count: Any
) -> Connection[LedgerEntry]:
    def cursor_of(i: int) -> str:
        return encode_cursor(LEDGER_CURSOR, nodes[i].transaction_date, nodes[i].pk)

    return Connection(nodes=nodes, has_next=has_next, cursor_of=cursor_of, count=count)
