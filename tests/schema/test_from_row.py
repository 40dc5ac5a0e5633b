"""from_row builds what the dataclass __init__ builds, for the types that set their
attributes directly (hot paths of every list query)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from schema.types import Document, DocumentMetadata

DOCUMENT_ROW: dict[str, Any] = {
    "id": 42,
    "company_id": 7,
    "project_id": None,
    "filename": "invoice.pdf",
    "document_type": "invoice",
    "category": "finance",
    "status": "active",
    "processing_status": "processed",
    "mime_type": "application/pdf",
    "file_size": 1234,
    "uploaded_at": datetime(2026, 11, 28, 10, 0, tzinfo=UTC),
}
METADATA_ROW: dict[str, Any] = {
    "document_id": 42,
    "tags": ["urgent"],
    "keywords": None,
    "classification": "invoice",
    "summary": "s",
    "invoice_number": "INV-1",
    "vendor_name": None,
    "total_amount": Decimal("12.50"),
    "currency": "KES",
    "risk_score": 0.25,
}


def _init_fields(cls: type) -> set[str]:
    return {field.name for field in dataclasses.fields(cls) if field.init}


@pytest.mark.parametrize(
    ("cls", "row", "by_init"),
    [
        (
            Document,
            DOCUMENT_ROW,
            {**{k: v for k, v in DOCUMENT_ROW.items() if k != "id"}, "pk": 42, "id": "42"},
        ),
        (
            DocumentMetadata,
            METADATA_ROW,
            {**METADATA_ROW, "tags": ["urgent"], "keywords": []},
        ),
    ],
    ids=["Document", "DocumentMetadata"],
)
def test_from_row_equals_the_init_built_object(
    cls: type, row: dict[str, Any], by_init: dict[str, Any]
) -> None:
    built = cls.from_row(row)  # type: ignore[attr-defined]
    expected = cls(**by_init)
    assert built == expected
    assert vars(built) == vars(expected)
    assert set(vars(built)) == _init_fields(cls)  # nothing the dataclass sets is missing
