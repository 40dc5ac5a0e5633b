"""SQL of the PostgreSQL metadata store (table ``document_metadata``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from app.db.documents import Executor

__all__ = ["FIELDS", "metadata_by_document_ids", "upsert_metadata"]

FIELDS = (
    "tags",
    "keywords",
    "classification",
    "summary",
    "invoice_number",
    "vendor_name",
    "total_amount",
    "currency",
    "risk_score",
    "entities",
    "text",
)


async def metadata_by_document_ids(
    db: Executor, document_ids: Sequence[int]
) -> list[asyncpg.Record]:
    """Metadata rows (without the text, which no field returns) for the given documents."""
    return await db.fetch(
        "SELECT document_id, tags, keywords, classification, summary, invoice_number, "
        "vendor_name, total_amount, currency, risk_score, entities "
        "FROM document_metadata WHERE document_id = ANY($1::bigint[])",
        list(document_ids),
    )


async def upsert_metadata(db: Executor, document_id: int, values: dict[str, Any]) -> None:
    """Write a document's metadata; missing fields get the column defaults."""
    row = {name: values.get(name) for name in FIELDS}
    await db.fetch(
        "INSERT INTO document_metadata (document_id, tags, keywords, classification, summary, "
        "invoice_number, vendor_name, total_amount, currency, risk_score, entities, text) "
        "VALUES ($1, coalesce($2::text[], '{}'), coalesce($3::text[], '{}'), $4, $5, $6, $7, $8, "
        "$9, $10, "
        "coalesce($11, '[]'::jsonb), $12) "
        "ON CONFLICT (document_id) DO UPDATE SET tags = EXCLUDED.tags, "
        "keywords = EXCLUDED.keywords, classification = EXCLUDED.classification, "
        "summary = EXCLUDED.summary, invoice_number = EXCLUDED.invoice_number, "
        "vendor_name = EXCLUDED.vendor_name, total_amount = EXCLUDED.total_amount, "
        "currency = EXCLUDED.currency, risk_score = EXCLUDED.risk_score, "
        "entities = EXCLUDED.entities, text = EXCLUDED.text",
        document_id,
        row["tags"],
        row["keywords"],
        row["classification"],
        row["summary"],
        row["invoice_number"],
        row["vendor_name"],
        row["total_amount"],
        row["currency"],
        row["risk_score"],
        row["entities"],
        row["text"],
    )


async def set_tags(db: Executor, document_id: int, tags: list[str]) -> None:
    await db.fetch(
        "INSERT INTO document_metadata (document_id, tags) VALUES ($1, $2) "
        "ON CONFLICT (document_id) DO UPDATE SET tags = EXCLUDED.tags",
        document_id,
        tags,
    )
