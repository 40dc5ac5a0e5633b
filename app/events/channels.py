"""The NOTIFY channels and payloads shared with the document-processing workers (contract).

``vanta_document_processed``: ``{"document_id": int, "company_id": int, "processed_at":
"<ISO 8601>", "status": "processed" | "failed"}``, sent in the transaction that sets
``processing_status`` and ``processed_at``. ``vanta_cache_invalidate``: ``{"tags": [...]}``
(tag strings from app/cache/tags.py), from workers and from API processes whose response
cache is in-process; ``"clear": true`` (additive) drops every entry (``vanta cache clear``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

__all__ = [
    "CACHE_INVALIDATE",
    "DOCUMENT_PROCESSED",
    "STATUSES",
    "DocumentProcessed",
    "Invalidation",
    "parse_document_processed",
    "parse_invalidation",
]

DOCUMENT_PROCESSED = "vanta_document_processed"
CACHE_INVALIDATE = "vanta_cache_invalidate"
STATUSES = ("processed", "failed")
MAX_TAGS = 10_000


@dataclass(frozen=True, slots=True)
class DocumentProcessed:
    document_id: int
    company_id: int
    processed_at: datetime
    status: str

    def payload(self) -> str:
        """The contract's JSON text for pg_notify."""
        return orjson.dumps(
            {
                "document_id": self.document_id,
                "company_id": self.company_id,
                "processed_at": self.processed_at.isoformat(),
                "status": self.status,
            }
        ).decode()


def _positive_int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def parse_document_processed(payload: str) -> DocumentProcessed | None:
    """The event in a NOTIFY payload, or None when it does not follow the contract."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    document_id = _positive_int(data.get("document_id"))
    company_id = _positive_int(data.get("company_id"))
    status = data.get("status")
    raw_time = data.get("processed_at")
    if document_id is None or company_id is None or status not in STATUSES:
        return None
    if not isinstance(raw_time, str):
        return None
    try:
        processed_at = datetime.fromisoformat(raw_time)
    except ValueError:
        return None
    if processed_at.tzinfo is None:
        return None
    return DocumentProcessed(document_id, company_id, processed_at, status)


@dataclass(frozen=True, slots=True)
class Invalidation:
    tags: list[str]
    origin: str | None  # additive: API processes set it so they can skip their own message
    clear: bool = False  # additive: drop every entry, not only these tags


def parse_invalidation(payload: str) -> Invalidation | None:
    """The invalidation in a payload, or None when it is malformed."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    tags = data.get("tags")
    if not isinstance(tags, list) or len(tags) > MAX_TAGS:
        return None
    if not all(isinstance(tag, str) for tag in tags):
        return None
    origin = data.get("origin")
    clear = data.get("clear") is True
    return Invalidation(tags, origin if isinstance(origin, str) else None, clear)
