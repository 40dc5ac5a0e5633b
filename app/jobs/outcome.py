"""How a job's end is written: job, document status, metadata and both NOTIFYs in one commit.

Contract with the real-time listeners (DESIGN.md section 12): in the transaction that sets
``processing_status`` and ``processed_at``, ``vanta_document_processed`` carries
``{"document_id", "company_id", "processed_at", "status"}`` and ``vanta_cache_invalidate``
carries ``{"tags": [...]}`` (app.cache.tags names).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import orjson

from app.cache import tags
from app.events.channels import CACHE_INVALIDATE, DOCUMENT_PROCESSED
from app.jobs.queue import Claim, finish_claim, retry_or_fail

__all__ = [
    "CACHE_CHANNEL",
    "PROCESSED_CHANNEL",
    "ClaimLost",
    "Ended",
    "write_failure",
    "write_success",
]

PROCESSED_CHANNEL = DOCUMENT_PROCESSED
CACHE_CHANNEL = CACHE_INVALIDATE


class ClaimLost(Exception):
    """The claim expired and another worker owns the job now: this attempt writes nothing."""


class Ended:
    """A job that ended (processed or failed): what was announced."""

    __slots__ = ("company_id", "document_id", "processed_at", "status", "tags")

    def __init__(
        self, document_id: int, company_id: int, processed_at: datetime, status: str
    ) -> None:
        self.document_id = document_id
        self.company_id = company_id
        self.processed_at = processed_at
        self.status = status
        self.tags = tags.document_change(document_id, company_id)


async def _end_document(conn: Any, claim: Claim, status: str) -> Ended | None:
    """Set the document's status and processed_at, and NOTIFY both channels."""
    row = await conn.fetchrow(
        "UPDATE documents SET processing_status = $2, processed_at = now() "
        "WHERE id = $1 RETURNING company_id, processed_at",
        claim.document_id,
        status,
    )
    if row is None:  # deleted meanwhile (its job goes with it)
        return None
    ended = Ended(claim.document_id, row["company_id"], row["processed_at"], status)
    event = {
        "document_id": ended.document_id,
        "company_id": ended.company_id,
        "processed_at": ended.processed_at.isoformat(),
        "status": status,
    }
    await conn.execute("SELECT pg_notify($1, $2)", PROCESSED_CHANNEL, orjson.dumps(event).decode())
    await conn.execute(
        "SELECT pg_notify($1, $2)", CACHE_CHANNEL, orjson.dumps({"tags": ended.tags}).decode()
    )
    return ended


async def write_success(
    conn: Any,
    claim: Claim,
    *,
    risk_reasons: list[dict[str, object]],
    confidence: float,
    write_metadata: Callable[[Any], Awaitable[None]] | None,
) -> Ended | None:
    """Commit a processed document; ClaimLost when this claim no longer owns the job.

    ``write_metadata(tx)`` runs inside the transaction (the PostgreSQL metadata backend).
    """
    async with conn.transaction():
        finished = await finish_claim(
            conn,
            claim,
            state="done",
            risk_reasons=orjson.dumps(risk_reasons).decode(),
            confidence=confidence,
        )
        if finished is None:
            raise ClaimLost(claim.job_id)
        if write_metadata is not None:
            await write_metadata(conn)
        return await _end_document(conn, claim, "processed")


async def write_failure(
    conn: Any, claim: Claim, error: str, retry_base_seconds: float
) -> tuple[str, Ended | None]:
    """Record a failed attempt: (``queued`` | ``failed``, what was announced when failed)."""
    async with conn.transaction():
        state = await retry_or_fail(conn, claim, error, retry_base_seconds)
        if state is None:
            raise ClaimLost(claim.job_id)
        if state == "queued":
            return state, None
        return state, await _end_document(conn, claim, "failed")
