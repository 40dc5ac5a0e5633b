"""Metadata derived from a document's text with cheap rules, until the NLP pipeline runs."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["derive_metadata"]

# "Invoice No: INV-7781" and a bare "INV-7781" both give "INV-7781": the label is the whole
# word "Invoice", and a number must hold a digit (so "Invoice for services" gives none).
_INVOICE = re.compile(
    r"(?:\bInvoice\b\s*(?:No\.?|Number|#)?[\s:#-]*|\b(?=INV))"
    r"((?=[A-Z-]*[0-9])[A-Z0-9][A-Z0-9-]{2,30})\b",
    re.I,
)
_AMOUNT = re.compile(r"\b(?:KES|KSh|Ksh)\.?\s*([0-9][0-9,]*(?:\.[0-9]{1,2})?)")
_VENDOR = re.compile(r"^\s*(?:From|Vendor|Supplier)\s*:\s*(.{2,120}?)\s*$", re.I | re.M)
_WORD = re.compile(r"[A-Za-z]{4,}")
_STOPWORDS = frozenset(
    (
        "this",
        "that",
        "with",
        "from",
        "have",
        "will",
        "your",
        "their",
        "there",
        "which",
        "about",
        "would",
        "these",
        "other",
        "into",
        "more",
        "some",
        "such",
        "than",
        "then",
        "them",
        "they",
        "were",
        "what",
        "when",
        "where",
        "while",
        "been",
        "being",
    )
)
SUMMARY_LENGTH = 240


def derive_metadata(text: str, document_type: str) -> dict[str, Any]:
    """Fields of the metadata store that can be read off the text directly."""
    invoice = _INVOICE.search(text)
    amount = _AMOUNT.search(text)
    vendor = _VENDOR.search(text)
    total: Decimal | None = None
    if amount is not None:
        try:
            total = Decimal(amount.group(1).replace(",", "")).quantize(Decimal("0.01"))
        except InvalidOperation:
            total = None
        if total is not None and total >= Decimal("1e13"):
            total = None
    summary = " ".join(text.split())[:SUMMARY_LENGTH] or None
    return {
        "classification": document_type,
        "summary": summary,
        "invoice_number": invoice.group(1) if invoice else None,
        "vendor_name": vendor.group(1) if vendor else None,
        "total_amount": total,
        "currency": "KES" if total is not None else None,
        "keywords": _keywords(text),
        "entities": [],
        "text": text,
    }


def _keywords(text: str, limit: int = 8) -> list[str]:
    counts: dict[str, int] = {}
    for word in _WORD.findall(text.lower()):
        if word not in _STOPWORDS:
            counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, _ in ranked[:limit]]
