"""Aggregate result types: a company's financial summary and document statistics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import strawberry

from app.metadata.store import MetadataStatistics

__all__ = ["CountBucket", "DocumentStatistics", "FinancialSummary"]


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

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> FinancialSummary:
        return cls(
            company_id=strawberry.ID(str(values["company_id"])),
            from_=values["from"],
            to=values["to"],
            currency="KES",
            income=values["income"],
            expenses=values["expenses"],
            withdrawals=values["withdrawals"],
            net=values["net"],
            entry_count=values["entry_count"],
        )


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
