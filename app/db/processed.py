"""SQL of processing outcomes: mark a document processed (with its NOTIFYs), and replay."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

__all__ = ["NOTIFY", "mark_processed", "processed_since"]

# clock_timestamp(), not now(): closer to the commit than the transaction's start, so a
# listener's replay window (app/events/hub.py) rarely needs its slack.
_MARK = """
UPDATE documents SET processing_status = $2, processed_at = clock_timestamp()
WHERE id = $1
RETURNING company_id, processed_at
"""
NOTIFY = "SELECT pg_notify($1, $2)"
_SINCE = """
SELECT id, company_id, processed_at, processing_status FROM documents
WHERE processed_at > $1 AND processing_status = ANY($2::text[])
ORDER BY processed_at, id
LIMIT $3
"""


async def mark_processed(
    conn: asyncpg.Connection, document_id: int, status: str
) -> asyncpg.Record | None:
    """Set the outcome; (company_id, processed_at), or None when the row does not exist."""
    return await conn.fetchrow(_MARK, document_id, status)


async def processed_since(
    conn: asyncpg.Connection | asyncpg.Pool,
    since: datetime,
    statuses: Sequence[str],
    limit: int,
) -> list[asyncpg.Record]:
    """Documents whose processing ended after ``since``, oldest first (uses the index)."""
    return list(await conn.fetch(_SINCE, since, list(statuses), limit))
