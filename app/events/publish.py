"""Finish a document's processing and tell every API process, in one transaction.

The processing workers call this (their branch), and tests produce events with it: the
UPDATE of ``processing_status``/``processed_at`` and both NOTIFYs commit together, so a
listener never hears of an outcome that did not happen, and the NOTIFY is sent only on
commit (PostgreSQL holds it until then).
"""

from __future__ import annotations

import asyncpg
import orjson

from app.cache import tags
from app.db.processed import NOTIFY, mark_processed
from app.events.channels import (
    CACHE_INVALIDATE,
    DOCUMENT_PROCESSED,
    STATUSES,
    DocumentProcessed,
)

__all__ = ["publish_processed"]


async def publish_processed(
    conn: asyncpg.Connection, document_id: int, status: str = "processed"
) -> DocumentProcessed | None:
    """Mark ``document_id`` processed/failed and NOTIFY; None when it does not exist.

    Runs in the caller's transaction when there is one (the worker's, with its metadata
    write), else in its own.
    """
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    async with conn.transaction():
        row = await mark_processed(conn, document_id, status)
        if row is None:
            return None
        event = DocumentProcessed(document_id, row["company_id"], row["processed_at"], status)
        await conn.execute(NOTIFY, DOCUMENT_PROCESSED, event.payload())
        changed = tags.document_change(document_id, event.company_id)
        await conn.execute(NOTIFY, CACHE_INVALIDATE, orjson.dumps({"tags": changed}).decode())
    return event
