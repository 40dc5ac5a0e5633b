"""Input types and enums, and their conversion into validated, hashable SQL criteria."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry

from app.db.companies import CompanyCriteria
from app.db.documents import DocumentCriteria
from app.db.ledger import LedgerCriteria
from app.domain import (
    APPROVAL_STATUSES,
    COMPANY_STATUSES,
    DOCUMENT_STATUSES,
    DOCUMENT_TYPES,
    ENTRY_TYPES,
    PROCESSING_STATUSES,
)
from app.errors import bad_input
from app.timestamps import in_utc
from schema.ids import parse_id
from schema.uploads import Upload

__all__ = [
    "CompanyFilter",
    "CompanyType",
    "CreateCompanyInput",
    "DocumentFilter",
    "DocumentOrder",
    "LedgerEntryInput",
    "LedgerFilter",
    "UpdateDocumentInput",
    "UploadDocumentInput",
    "check_choice",
    "company_criteria",
    "document_criteria",
    "ledger_criteria",
]


@strawberry.enum
class CompanyType(Enum):
    CORE_FAMILY = "core_family"
    BUSINESS_PARTNER = "business_partner"
    SUBSIDIARY = "subsidiary"


@strawberry.enum
class DocumentOrder(Enum):
    UPLOADED_AT_DESC = "uploaded_at_desc"
    UPLOADED_AT_ASC = "uploaded_at_asc"


@strawberry.input
class DocumentFilter:
    company_id: strawberry.ID | None = None
    document_type: str | None = None
    status: str | None = None
    processing_status: str | None = None
    uploaded_after: datetime | None = None
    uploaded_before: datetime | None = None
    tag: str | None = None


@strawberry.input
class CompanyFilter:
    status: str | None = None
    company_type: CompanyType | None = None
    search: str | None = None


@strawberry.input
class LedgerFilter:
    entry_type: str | None = None
    approval_status: str | None = None
    from_: date | None = strawberry.field(default=None, name="from")
    to: date | None = None


@strawberry.input
class CreateCompanyInput:
    name: str
    company_type: CompanyType
    registration_number: str | None = None
    industry: str | None = None
    email: str | None = None
    phone: str | None = None


@strawberry.input
class UploadDocumentInput:
    company_id: strawberry.ID
    filename: str
    document_type: str
    # Exactly one of the two: text in the JSON body, or a file part of a multipart request.
    content: str | None = None
    file: Upload | None = None  # type: ignore[valid-type]
    mime_type: str | None = "text/plain"
    project_id: strawberry.ID | None = None
    tags: list[str] | None = None


@strawberry.input
class UpdateDocumentInput:
    filename: str | None = None
    document_type: str | None = None
    status: str | None = None
    project_id: strawberry.ID | None = None
    tags: list[str] | None = None


@strawberry.input
class LedgerEntryInput:
    company_id: strawberry.ID
    entry_type: str
    amount: Decimal
    transaction_date: date
    currency: str = "KES"
    category: str | None = None
    description: str | None = None
    reference_number: str | None = None
    project_id: strawberry.ID | None = None
    document_id: strawberry.ID | None = None


def check_choice(value: str | None, choices: tuple[str, ...], argument: str) -> str | None:
    """``value`` if it is one of ``choices`` (or None); BAD_USER_INPUT listing them otherwise."""
    if value is not None and value not in choices:
        raise bad_input(
            f"{argument} must be one of {', '.join(choices)}; got {value[:40]!r}.", argument
        )
    return value


def _aware(value: datetime | None, argument: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise bad_input(
            f"{argument} needs a time zone offset (e.g. 2025-01-31T00:00:00Z).", argument
        )
    try:
        return in_utc(value)
    except ValueError:
        raise bad_input(f"{argument} is out of range once converted to UTC.", argument) from None


def document_criteria(value: DocumentFilter | None) -> DocumentCriteria:
    if value is None:
        return DocumentCriteria()
    tag = value.tag.strip() if value.tag is not None else None
    if tag is not None and ("\x00" in tag or len(tag) > 50):
        raise bad_input("filter.tag must be at most 50 characters, without NUL.", "filter.tag")
    return DocumentCriteria(
        company_id=None
        if value.company_id is None
        else parse_id(value.company_id, "filter.companyId"),
        document_type=check_choice(value.document_type, DOCUMENT_TYPES, "filter.documentType"),
        status=check_choice(value.status, DOCUMENT_STATUSES, "filter.status"),
        processing_status=check_choice(
            value.processing_status, PROCESSING_STATUSES, "filter.processingStatus"
        ),
        uploaded_after=_aware(value.uploaded_after, "filter.uploadedAfter"),
        uploaded_before=_aware(value.uploaded_before, "filter.uploadedBefore"),
        tag=tag or None,
    )


def company_criteria(value: CompanyFilter | None) -> CompanyCriteria:
    if value is None:
        return CompanyCriteria()
    search = value.search.strip() if value.search is not None else None
    if search is not None and (len(search) > 200 or "\x00" in search):
        raise bad_input("filter.search is limited to 200 characters, without NUL.", "filter.search")
    return CompanyCriteria(
        status=check_choice(value.status, COMPANY_STATUSES, "filter.status"),
        company_type=value.company_type.value if value.company_type is not None else None,
        search=search or None,
    )


def ledger_criteria(value: LedgerFilter | None) -> LedgerCriteria:
    if value is None:
        return LedgerCriteria()
    if value.from_ is not None and value.to is not None and value.from_ > value.to:
        raise bad_input("filter.from must not be after filter.to.", "filter.from")
    return LedgerCriteria(
        entry_type=check_choice(value.entry_type, ENTRY_TYPES, "filter.entryType"),
        approval_status=check_choice(
            value.approval_status, APPROVAL_STATUSES, "filter.approvalStatus"
        ),
        date_from=value.from_,
        date_to=value.to,
    )
