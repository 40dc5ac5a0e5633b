"""SQL that changes documents; callers run it inside one transaction."""

from __future__ import annotations

from typing import Any

import asyncpg

from app.db.documents import COLUMNS, Executor

__all__ = [
    "delete_document",
    "delete_documents",
    "document_states",
    "insert_document",
    "lock_document",
    "mark_failed",
    "set_processing_status",
    "update_document",
]

_UPDATABLE = ("filename", "document_type", "category", "status", "project_id")


async def lock_document(db: Executor, document_id: int) -> asyncpg.Record | None:
    rows = await db.fetch(
        f"SELECT {COLUMNS} FROM documents d WHERE d.id = $1 FOR UPDATE", document_id
    )
    return rows[0] if rows else None


async def insert_document(db: Executor, values: dict[str, Any]) -> asyncpg.Record:
    rows = await db.fetch(
        "INSERT INTO documents AS d (company_id, project_id, filename, document_type, category, "
        "processing_status, mime_type, file_size, content_sha256, uploaded_by) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
        f"RETURNING {COLUMNS}",
        values["company_id"],
        values.get("project_id"),
        values["filename"],
        values["document_type"],
        values["category"],
        values["processing_status"],
        values.get("mime_type"),
        values.get("file_size"),
        values.get("content_sha256"),
        values.get("uploaded_by"),
    )
    return rows[0]


async def update_document(
    db: Executor, document_id: int, changes: dict[str, Any]
) -> asyncpg.Record:
    """Apply ``changes`` (a subset of the updatable columns) and return the new row."""
    unknown = set(changes) - set(_UPDATABLE)
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    names = list(changes)
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    rows = await db.fetch(
        f"UPDATE documents AS d SET {assignments or 'filename = d.filename'} WHERE d.id = $1 RETURNING {COLUMNS}",
        document_id,
        *(changes[name] for name in names),
    )
    return rows[0]


async def delete_document(db: Executor, document_id: int) -> bool:
    rows = await db.fetch("DELETE FROM documents WHERE id = $1 RETURNING id", document_id)
    return bool(rows)


async def set_processing_status(
    db: Executor, document_id: int, status: str
) -> asyncpg.Record | None:
    """The updated row; None when the document was deleted meanwhile."""
    rows = await db.fetch(
        f"UPDATE documents AS d SET processing_status = $2 WHERE d.id = $1 RETURNING {COLUMNS}",
        document_id,
        status,
    )
    return rows[0] if rows else None


async def document_states(db: Executor) -> list[asyncpg.Record]:
    """(id, processing_status, uploaded_at) of every document, for reconciliation.

    A document whose processing job is queued or running reports ``queued``: it is in
    flight (its worker writes the metadata), however long the backlog.
    """
    return await db.fetch(
        "SELECT d.id, CASE WHEN EXISTS (SELECT 1 FROM document_jobs j WHERE j.document_id = d.id "
        "AND j.state IN ('queued', 'running')) THEN 'queued' ELSE d.processing_status END "
        "AS processing_status, d.uploaded_at FROM documents d ORDER BY d.id"
    )


async def delete_documents(db: Executor, document_ids: list[int]) -> int:
    rows = await db.fetch(
        "DELETE FROM documents WHERE id = ANY($1::bigint[]) RETURNING id", document_ids
    )
    return len(rows)


async def mark_failed(db: Executor, document_ids: list[int]) -> int:
    rows = await db.fetch(
        "UPDATE documents SET processing_status = 'failed' WHERE id = ANY($1::bigint[]) "
        "RETURNING id",
        document_ids,
    )
    return len(rows)
