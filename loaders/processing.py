"""Batch function of ``Document.processing``: the latest job of every document, one query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.jobs.status import processing_states
from loaders.source import Backends, Build, Scope

__all__ = ["processing"]


async def processing(
    b: Backends, scope: Scope, document_ids: Sequence[int], build: Build
) -> list[Any]:
    """Keys are ids of documents already checked against the scope by their parent."""
    rows = await processing_states(b.db, document_ids, scope)
    by_id = {row["document_id"]: build(row) for row in rows}
    return [by_id.get(i) for i in document_ids]
