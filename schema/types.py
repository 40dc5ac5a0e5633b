"""The object types of the schema. Scalar fields are plain attributes filled from rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
import strawberry

from app.cache import tags
from app.db import ledger as ledger_sql
from app.errors import bad_input
from loaders import batch
from loaders.keys import (
    DocumentCountKey,
    DocumentPageKey,
    LedgerCountKey,
    LedgerPageKey,
    SummaryKey,
)
from loaders.processing import processing
from loaders.source import Source
from schema.aggregates import FinancialSummary
from schema.connection_field import CompanyList, connection_field
from schema.connections import Connection
from schema.inputs import (
    CompanyType,
    DocumentFilter,
    LedgerFilter,
    document_criteria,
    ledger_criteria,
)
from schema.pages import (
    DOCUMENT_CURSOR,
    LEDGER_CURSOR,
    document_connection,
    ledger_connection,
)
from schema.relations import relation

__all__ = [
    "COMPANY",
    "COMPANY_LEDGER_LIST",
    "DOCUMENT",
    "FINANCIAL_SUMMARY",
    "Company",
    "CompanyRelationship",
    "Document",
    "DocumentMetadata",
    "ExtractedEntity",
    "LedgerEntry",
    "Project",
]


def _company_documents_tag(key: DocumentPageKey | DocumentCountKey) -> str:
    return tags.company_documents(key.company_id)


def _company_ledger_tag(key: LedgerPageKey | LedgerCountKey | SummaryKey) -> str:
    return tags.company_ledger(key.company_id)


# The Sources every relation reads (loaders.source): the batch query, the row builder
# (named lazily: the types are defined below) and the cache tag of each key.
COMPANY: Source[int, Company | None] = Source(
    "company", batch.companies, tags.company, lambda: Company.from_row
)
DOCUMENT: Source[int, Document | None] = Source(
    "document", batch.documents, tags.document, lambda: Document.from_row
)
PROJECT: Source[int, Project | None] = Source(
    "project", batch.projects, tags.project, lambda: Project.from_row
)
LEDGER_ENTRY: Source[int, LedgerEntry | None] = Source(
    "ledger_entry", batch.ledger_entries, tags.ledger_entry, lambda: LedgerEntry.from_row
)
PROCESSING: Source[int, DocumentProcessing | None] = Source(
    "processing", processing, tags.document, lambda: DocumentProcessing.from_row
)
METADATA: Source[int, DocumentMetadata | None] = Source(
    "metadata", batch.metadata, tags.document, lambda: DocumentMetadata.from_row
)
ENTITIES: Source[int, list[ExtractedEntity]] = Source(
    "entities", batch.entities, tags.document, lambda: ExtractedEntity.from_row
)
DOCUMENT_LEDGER: Source[int, list[LedgerEntry]] = Source(
    "document_ledger",
    batch.many_by("document_id", ledger_sql.entries_by_document_ids),
    tags.document_ledger,
    lambda: LedgerEntry.from_row,
)
COMPANY_PROJECTS: Source[int, list[Project]] = Source(
    "company_projects", batch.company_projects, tags.company_projects, lambda: Project.from_row
)
COMPANY_RELATIONSHIPS: Source[int, list[CompanyRelationship]] = Source(
    "company_relationships",
    batch.company_relationships,
    tags.company_relationships,
    lambda: CompanyRelationship.from_row,
)
COMPANY_DOCUMENTS: Source[DocumentPageKey, batch.Page[Document]] = Source(
    "company_documents", batch.company_documents, _company_documents_tag, lambda: Document.from_row
)
COMPANY_DOCUMENT_COUNT: Source[DocumentCountKey, int] = Source(
    "company_document_count", batch.company_document_counts, _company_documents_tag, lambda: int
)
COMPANY_LEDGER: Source[LedgerPageKey, batch.Page[LedgerEntry]] = Source(
    "company_ledger", batch.company_ledger, _company_ledger_tag, lambda: LedgerEntry.from_row
)
COMPANY_LEDGER_COUNT: Source[LedgerCountKey, int] = Source(
    "company_ledger_count", batch.company_ledger_counts, _company_ledger_tag, lambda: int
)
FINANCIAL_SUMMARY: Source[SummaryKey, FinancialSummary] = Source(
    "financial_summary",
    batch.financial_summaries,
    _company_ledger_tag,
    lambda: FinancialSummary.from_values,
)


@strawberry.type
class ExtractedEntity:
    label: str
    text: str
    start: int
    end: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ExtractedEntity:
        return cls(label=row["label"], text=row["text"], start=row["start"], end=row["end"])


@strawberry.type
class RiskReason:
    rule: str
    weight: float
    detail: str


@strawberry.type
class DocumentProcessing:
    """``status``: pending | running | processed | failed."""

    status: str
    attempts: int
    last_error: str | None
    started_at: datetime | None
    finished_at: datetime | None
    risk_reasons: list[RiskReason]
    classification_confidence: float | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> DocumentProcessing:
        reasons = row["risk_reasons"] or []
        if isinstance(reasons, str | bytes):
            import orjson

            reasons = orjson.loads(reasons)
        return cls(
            status=row["status"],
            attempts=row["attempts"],
            last_error=row["last_error"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            risk_reasons=[
                RiskReason(rule=r["rule"], weight=float(r["weight"]), detail=r["detail"])
                for r in reasons
            ],
            classification_confidence=row["classification_confidence"],
        )


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
    entities: list[ExtractedEntity] = relation(ENTITIES, "document_id", many=True)

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
    company: Company = relation(COMPANY, "company_id")

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
    # Joinable: a fast-path plan may read these from the document's own statement.
    company: Company = relation(COMPANY, "company_id", join="company")
    project: Project | None = relation(PROJECT, "project_id", join="project")
    metadata: DocumentMetadata | None = relation(METADATA, "pk", join="metadata")
    ledger_entries: list[LedgerEntry] = relation(
        DOCUMENT_LEDGER, "pk", many=True, description="Entries recorded against this document."
    )
    processing: DocumentProcessing = relation(
        PROCESSING, "pk", description="The latest processing job: status, attempts, errors."
    )

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
    company: Company = relation(COMPANY, "company_id")
    project: Project | None = relation(PROJECT, "project_id")
    document: Document | None = relation(DOCUMENT, "document_id")

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
    company: Company = relation(COMPANY, "other_id", description="The related company.")

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> CompanyRelationship:
        return cls(
            other_id=row["other_id"],
            relationship_type=row["relationship_type"],
            strength=row["strength"],
        )


COMPANY_DOCUMENT_LIST: CompanyList[Document] = CompanyList(
    node=Document,
    filter=DocumentFilter,
    default_first=20,
    criteria=document_criteria,
    cursor=DOCUMENT_CURSOR,
    cursor_types=(datetime, int),
    pages=COMPANY_DOCUMENTS,
    counts=COMPANY_DOCUMENT_COUNT,
    page_key=lambda company, criteria, first, after: DocumentPageKey(
        company, criteria, first, after, ascending=False
    ),
    count_key=DocumentCountKey,
    connection=lambda nodes, has_next, count: document_connection(nodes, has_next, count),
    excludes=lambda criteria, company: criteria.company_id not in (None, company),
)
COMPANY_LEDGER_LIST: CompanyList[LedgerEntry] = CompanyList(
    node=LedgerEntry,
    filter=LedgerFilter,
    default_first=50,
    criteria=ledger_criteria,
    cursor=LEDGER_CURSOR,
    cursor_types=(date, int),
    pages=COMPANY_LEDGER,
    counts=COMPANY_LEDGER_COUNT,
    page_key=LedgerPageKey,
    count_key=LedgerCountKey,
    connection=lambda nodes, has_next, count: ledger_connection(nodes, has_next, count),
)


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
    projects: list[Project] = relation(COMPANY_PROJECTS, "pk", many=True)
    relationships: list[CompanyRelationship] = relation(COMPANY_RELATIONSHIPS, "pk", many=True)
    # This company's newest documents; batched with every other company in the request.
    documents: Connection[Document] = connection_field(COMPANY_DOCUMENT_LIST)
    ledger_entries: Connection[LedgerEntry] = connection_field(COMPANY_LEDGER_LIST)

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
    async def financial_summary(
        self,
        info: strawberry.Info,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> FinancialSummary:
        if from_ is not None and to is not None and from_ > to:
            raise bad_input("'from' must not be after 'to'.", "from")
        return await info.context.loaders.of(FINANCIAL_SUMMARY).load(SummaryKey(self.pk, from_, to))
