"""Hashable loader keys for relations that take arguments (pages, counts, summaries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app.db.documents import DocumentCriteria
from app.db.ledger import LedgerCriteria

__all__ = ["DocumentCountKey", "DocumentPageKey", "LedgerCountKey", "LedgerPageKey", "SummaryKey"]


@dataclass(frozen=True, slots=True)
class DocumentPageKey:
    company_id: int
    criteria: DocumentCriteria
    first: int
    after: tuple[datetime, int] | None
    ascending: bool


@dataclass(frozen=True, slots=True)
class DocumentCountKey:
    company_id: int
    criteria: DocumentCriteria


@dataclass(frozen=True, slots=True)
class LedgerPageKey:
    company_id: int
    criteria: LedgerCriteria
    first: int
    after: tuple[date, int] | None


@dataclass(frozen=True, slots=True)
class LedgerCountKey:
    company_id: int
    criteria: LedgerCriteria


@dataclass(frozen=True, slots=True)
class SummaryKey:
    company_id: int
    date_from: date | None
    date_to: date | None
