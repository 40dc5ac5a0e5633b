"""What the risk rules and the organisation patterns need from PostgreSQL."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

__all__ = ["CompanyRegister", "duplicate_of", "record_vendor", "vendor_key", "vendor_seen"]

REGISTER_TTL_SECONDS = 60.0


class CompanyRegister:
    """Company names (ORG patterns) and thresholds, re-read at most once a minute."""

    __slots__ = ("_loaded_at", "names", "thresholds", "titles")

    def __init__(self) -> None:
        self._loaded_at = -REGISTER_TTL_SECONDS
        self.names: tuple[str, ...] = ()
        self.titles: dict[int, str] = {}
        self.thresholds: dict[int, Decimal] = {}

    async def refresh(self, conn: Any, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._loaded_at < REGISTER_TTL_SECONDS:
            return
        rows = await conn.fetch("SELECT id, name, risk_amount_threshold FROM companies ORDER BY id")
        self.titles = {row["id"]: row["name"] for row in rows}
        self.names = tuple(sorted(set(self.titles.values())))
        self.thresholds = {
            row["id"]: row["risk_amount_threshold"]
            for row in rows
            if row["risk_amount_threshold"] is not None
        }
        self._loaded_at = time.monotonic()


def vendor_key(name: str) -> str:
    """Vendors compare case- and space-insensitively ("SIMBA  cement" is "Simba Cement")."""
    return " ".join(name.lower().split())


async def duplicate_of(
    conn: Any, company_id: int, document_id: int, sha256: str | None
) -> int | None:
    """Another document of the company with the same bytes (the oldest), if any."""
    if not sha256:
        return None
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT id FROM documents WHERE company_id = $1 AND content_sha256 = $2 AND id <> $3 "
        "ORDER BY id LIMIT 1",
        company_id,
        sha256,
        document_id,
    )


async def vendor_seen(conn: Any, company_id: int, document_id: int, vendor: str) -> bool:
    """True when an earlier document of the company named this vendor."""
    first = await conn.fetchval(
        "SELECT first_document_id FROM company_vendors WHERE company_id = $1 AND vendor_key = $2",
        company_id,
        vendor_key(vendor),
    )
    return first is not None and first != document_id


async def record_vendor(conn: Any, company_id: int, document_id: int, vendor: str) -> None:
    await conn.execute(
        "INSERT INTO company_vendors (company_id, vendor_key, first_document_id) "
        "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        company_id,
        vendor_key(vendor),
        document_id,
    )
