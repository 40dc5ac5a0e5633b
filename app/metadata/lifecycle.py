"""Document writes that span PostgreSQL and the metadata store as one logical operation.

PostgreSQL backend: row, metadata and processing job in one transaction (all or nothing).

MongoDB backend (no shared transaction):

- upload: the row is inserted as ``pending`` and the metadata written while the row's
  transaction is open; the row (and its processing job) commit after it. A failed
  metadata write rolls the row back; a failed commit deletes the metadata again. A
  processing worker later replaces the metadata and marks the row ``processed``.
- delete: the metadata is deleted inside the transaction that deletes the row, so a
  failed metadata delete rolls the row back: both stay.
- tags: written inside the transaction that updates the row; a failure rolls it back.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from app.db import document_writes
from app.db.session import DbSession, Transaction
from app.metadata.store import MetadataRecord, MetadataStore

__all__ = ["create_document", "remove_document"]

log = logging.getLogger("vanta.metadata")


async def create_document(
    db: DbSession,
    store: MetadataStore,
    row_values: dict[str, Any],
    metadata: dict[str, Any],
    check: Callable[[Transaction], Awaitable[None]],
    after_insert: Callable[[Transaction, asyncpg.Record], Awaitable[None]] | None = None,
) -> asyncpg.Record:
    """Insert a document row (``pending``) and its first metadata; returns the row.

    ``check`` runs first inside the transaction (existence, ownership); raising aborts.
    ``after_insert`` runs in the same transaction once the row exists (the processing
    job is enqueued there, so row and job commit together or not at all).
    """
    values = {**row_values, "processing_status": "pending"}
    if store.in_postgres:
        async with db.transaction() as tx:
            await check(tx)
            row = await document_writes.insert_document(tx, values)
            await store.write(_record(row, metadata), tx=tx)
            if after_insert is not None:
                await after_insert(tx, row)
        return row
    # MongoDB: the metadata is written while the row's transaction is still open, so a
    # committed row always has it, and a worker (which only sees committed jobs) never
    # has its result overwritten by this first, rule-based metadata.
    inserted: list[int] = []
    try:
        async with db.transaction() as tx:
            await check(tx)
            row = await document_writes.insert_document(tx, values)
            inserted.append(row["id"])
            await store.write(_record(row, metadata))
            if after_insert is not None:
                await after_insert(tx, row)
    except BaseException:
        if inserted:  # the row rolled back with its transaction; its metadata may not have
            await _undo_metadata(store, inserted[0])
        raise
    return row


async def remove_document(
    db: DbSession,
    store: MetadataStore,
    document_id: int,
    check: Callable[[asyncpg.Record | None], None],
) -> bool:
    """Delete a document row and its metadata; ``check`` sees the locked row (None: absent)."""
    async with db.transaction() as tx:
        current = await document_writes.lock_document(tx, document_id)
        check(current)
        deleted = await document_writes.delete_document(tx, document_id)
        if not store.in_postgres:  # PostgreSQL metadata goes with the row (ON DELETE CASCADE)
            await store.delete([document_id])
    return deleted


async def _undo_metadata(store: MetadataStore, document_id: int) -> None:
    """Best effort: the upload failed, so no metadata of its (rolled back) row may stay.

    If this fails too, ``vanta reconcile`` deletes metadata without a document row.
    """
    try:
        await store.delete([document_id])
    except Exception:
        log.warning(
            "metadata of failed upload %s left for vanta reconcile", document_id, exc_info=True
        )


def _record(row: asyncpg.Record, metadata: dict[str, Any]) -> MetadataRecord:
    return MetadataRecord(row["id"], row["company_id"], row["uploaded_at"], metadata)
