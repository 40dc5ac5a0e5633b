"""The metadata store interface that loaders, search, statistics and mutations all use."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from app.domain import FIELDS, READ_FIELDS

__all__ = [
    "FIELDS",
    "READ_FIELDS",
    "MetadataRecord",
    "MetadataStatistics",
    "MetadataStore",
    "RoundTripCounter",
    "SearchHit",
]


@dataclass(frozen=True, slots=True)
class MetadataRecord:
    """One document's metadata with the document fields a store needs for tenant queries."""

    document_id: int
    company_id: int
    uploaded_at: datetime
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A ranked match: ``rank`` orders results (higher first) and goes into keyset cursors."""

    document_id: int
    rank: float


@dataclass(frozen=True, slots=True)
class MetadataStatistics:
    """Counts over the metadata of a set of companies, computed in one aggregation."""

    total: int = 0
    by_classification: list[tuple[str, int]] = field(default_factory=list)
    by_tag: list[tuple[str, int]] = field(default_factory=list)


class RoundTripCounter(Protocol):
    """What a store counts its calls on (the request's DbSession)."""

    round_trips: int


class MetadataStore(Protocol):
    """A metadata backend bound to one request (or one command), counting its round trips.

    ``company_ids`` None means every company (admin tokens, maintenance commands).
    """

    @property
    def in_postgres(self) -> bool:
        """True when the metadata sits in PostgreSQL, so SQL may join it and share a transaction."""
        ...

    async def fetch_many(self, document_ids: Sequence[int]) -> dict[int, Mapping[str, Any]]:
        """READ_FIELDS of each document found, in one round trip; absent ids are left out."""
        ...

    async def fetch_entities(
        self, document_ids: Sequence[int]
    ) -> dict[int, Sequence[Mapping[str, Any]]]:
        """The entities of each document found, in one round trip; absent ids are left out."""
        ...

    async def write(self, record: MetadataRecord, tx: Any = None) -> None:
        """Create or replace one document's metadata (``tx``: a PostgreSQL transaction to join)."""
        ...

    async def write_many(self, records: Sequence[MetadataRecord]) -> None:
        """Create or replace many documents' metadata in one round trip (copy, seed)."""
        ...

    async def set_tags(self, record: MetadataRecord, tags: list[str], tx: Any = None) -> None:
        """Replace the tags of one document (creating its metadata when it has none)."""
        ...

    async def delete(self, document_ids: Sequence[int], tx: Any = None) -> int:
        """Remove the metadata of these documents; returns how many existed."""
        ...

    async def search(
        self,
        company_ids: Sequence[int] | None,
        text: str,
        *,
        tag: str | None = None,
        after: tuple[float, int] | None = None,
        limit: int = 100,
    ) -> list[SearchHit]:
        """Full-text matches in these companies, best first, ties by higher id; keyset ``after``."""
        ...

    async def ids_with_tag(self, company_ids: Sequence[int] | None, tag: str) -> list[int]:
        """Ids of the documents of these companies that carry ``tag`` (ascending)."""
        ...

    async def statistics(self, company_ids: Sequence[int] | None) -> MetadataStatistics:
        """Counts by classification and tag for these companies, as one aggregation."""
        ...

    async def scan(self, after_id: int, limit: int) -> list[MetadataRecord]:
        """Up to ``limit`` complete records with document_id > after_id, ascending (copy)."""
        ...

    async def all_ids(self) -> list[int]:
        """Every document id that has metadata (reconcile)."""
        ...

    async def count(self) -> int:
        """How many documents have metadata."""
        ...
