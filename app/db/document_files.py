"""SQL for downloads: a document's stored content, if the caller's scope reaches it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

__all__ = ["stored_file_of"]


async def stored_file_of(
    db: Any, document_id: int, scope: Sequence[int] | None
) -> asyncpg.Record | None:
    """(filename, mime_type, content_sha256) of the document; None when missing or out of scope."""
    rows = await db.fetch(
        "SELECT filename, mime_type, content_sha256 FROM documents "
        "WHERE id = $1 AND ($2::bigint[] IS NULL OR company_id = ANY($2))",
        document_id,
        None if scope is None else list(scope),
    )
    return rows[0] if rows else None
