"""SQL for ``Document.processing``: each document's latest job, in one query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

__all__ = ["processing_states"]


async def processing_states(
    db: Any, document_ids: Sequence[int], scope: Sequence[int] | None
) -> list[asyncpg.Record]:
    """(document_id, status, attempts, last_error, started_at, finished_at, risk_reasons,
    classification_confidence) per document found in ``scope``; a document without a job
    (seeded data) reports its processing_status and zero attempts."""
    return await db.fetch(  # type: ignore[no-any-return]
        "SELECT d.id AS document_id, "
        "  CASE j.state WHEN 'queued' THEN 'pending' WHEN 'running' THEN 'running' "
        "    WHEN 'done' THEN 'processed' WHEN 'failed' THEN 'failed' "
        "    ELSE d.processing_status END AS status, "
        "  coalesce(j.attempts, 0) AS attempts, j.last_error, j.started_at, "
        "  coalesce(j.finished_at, d.processed_at) AS finished_at, j.risk_reasons, "
        "  j.classification_confidence "
        "FROM documents d LEFT JOIN LATERAL ("
        "  SELECT * FROM document_jobs WHERE document_id = d.id ORDER BY id DESC LIMIT 1"
        ") j ON true "
        "WHERE d.id = ANY($1::bigint[]) AND ($2::bigint[] IS NULL OR d.company_id = ANY($2))",
        list(document_ids),
        None if scope is None else list(scope),
    )
