"""Document writes that span PostgreSQL and the metadata store as one logical operation.

PostgreSQL backend: row and metadata in one transaction (all or nothing).

MongoDB backend (no shared transaction):

- upload: the row is committed as ``pending``, the metadata written, then the row is
  marked ``processed``. A failed metadata write deletes the row again (and any metadata
  that may have reached the store) and the caller gets the error. So a ``processed`` row
  always has its metadata; a row is ``pending`` without metadata only while its upload
  runs, or when PostgreSQL also failed during that clean-up (``vanta reconcile`` removes
  such rows once they are older than its grace period).
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
from app.errors import not_found
from app.metadata.store import MetadataRecord, MetadataStore

__all__ = ["create_document", "remove_document"]

log = logging.getLogger("vanta.metadata")


async def create_document(
    db: DbSession,
    store: MetadataStore,
    row_values: dict[str, Any],
    metadata: dict[str, Any],
    check: Callable[[Transaction], Awaitable[None]],
) -> asyncpg.Record:
    """Insert a document row and its metadata; returns the row as it ends up (``processed``).

    ``check`` runs first inside the transaction (existence, ownership); raising aborts.
    """
    if store.in_postgres:
        async with db.transaction() as tx:
            await check(tx)
            row = await document_writes.insert_document(
                tx, {**row_values, "processing_status": "processed"}
            )
            await store.write(_record(row, metadata), tx=tx)
        return row
    async with db.transaction() as tx:
        await check(tx)
        row = await document_writes.insert_document(
            tx, {**row_values, "processing_status": "pending"}
        )
    try:
        await store.write(_record(row, metadata))
    except BaseException:
        await _undo_upload(db, store, row["id"])
        raise
    done = await document_writes.set_processing_status(db, row["id"], "processed")
    if done is None:  # deleted by someone else between the two statements
        raise not_found(f"Document {row['id']} was deleted while it was being uploaded.")
    return done


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


async def _undo_upload(db: DbSession, store: MetadataStore, document_id: int) -> None:
    """Best effort: the upload failed, so neither the row nor any metadata may stay."""
    try:
        await document_writes.delete_document(db, document_id)
        await store.delete([document_id])
    except Exception:
        log.warning("upload of document %s left for vanta reconcile", document_id, exc_info=True)


def _record(row: asyncpg.Record, metadata: dict[str, Any]) -> MetadataRecord:
    return MetadataRecord(row["id"], row["company_id"], row["uploaded_at"], metadata)
