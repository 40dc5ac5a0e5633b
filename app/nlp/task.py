"""What a worker's process pool runs for one document: text → entities, class, metadata.

``analyze`` is the pool's entry function; it and its arguments are plain picklable data,
so the pool may use the ``spawn`` or ``forkserver`` start method. spaCy and pypdf are
imported inside it, in the pool process, never in the caller's.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app.nlp.extract import extract_text
from app.nlp.text_rules import classify, keywords, summarize

__all__ = ["Analysis", "AnalysisRequest", "analyze"]

_VENDOR_LINE = re.compile(r"^\s*(?:From|Vendor|Supplier)\s*:\s*(.{2,120}?)\s*$", re.I | re.M)
_INVOICE_LABEL = re.compile(
    r"\bInvoice\b\s*(?:No\.?|Number|#)?[\s:#-]*((?=[A-Z-]*[0-9])[A-Z0-9][A-Z0-9/-]{2,30})\b", re.I
)
_TOTAL_BEFORE = re.compile(r"(?:total|amount due|grand total|balance due)[\s:]*$", re.I)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")),
        start=1,
    )
    for name in names
}  # fmt: skip
MAX_TEXT_CHARS = 20_000_000


@dataclass(frozen=True, slots=True)
class AnalysisRequest:
    path: str
    mime_type: str
    declared_type: str
    org_names: tuple[str, ...] = ()
    own_name: str | None = None  # the uploading company: never its own vendor
    model: str | None = None


@dataclass(frozen=True, slots=True)
class Analysis:
    text: str
    entities: list[dict[str, Any]]
    classification: str
    confidence: float
    keywords: list[str]
    summary: str | None
    invoice_number: str | None
    vendor_name: str | None
    total_amount: Decimal | None
    dates: tuple[date, ...] = ()
    seconds: float = 0.0
    pipeline_loaded: bool = False  # this call built the pipeline (the process's first document)
    pid: int = field(default=0)


def analyze(request: AnalysisRequest) -> Analysis:
    """The analysis of one stored file; raises when the file cannot be read or parsed."""
    import os

    from app.nlp.pipeline import _PIPELINES, get_pipeline

    started = time.perf_counter()
    text = extract_text(Path(request.path), request.mime_type)
    kept = len(_PIPELINES)
    nlp = get_pipeline(request.model, request.org_names)
    loaded = len(_PIPELINES) != kept or kept == 0
    nlp.max_length = max(nlp.max_length, MAX_TEXT_CHARS)
    doc = nlp(text)
    entities = [
        {"label": ent.label_, "text": ent.text, "start": ent.start_char, "end": ent.end_char}
        for ent in doc.ents
    ]
    classification, confidence = classify(text, request.declared_type)
    stop_words = frozenset(nlp.Defaults.stop_words)
    return Analysis(
        text=text,
        entities=entities,
        classification=classification,
        confidence=confidence,
        keywords=keywords((token.text for token in doc), stop_words),
        summary=summarize(text),
        invoice_number=_invoice_number(text, entities),
        vendor_name=_vendor(text, entities, request.own_name),
        total_amount=_total(text, entities),
        dates=tuple(d for d in (_date(e["text"]) for e in entities if e["label"] == "DATE") if d),
        seconds=time.perf_counter() - started,
        pipeline_loaded=loaded,
        pid=os.getpid(),
    )


def _invoice_number(text: str, entities: list[dict[str, Any]]) -> str | None:
    for entity in entities:
        if entity["label"] == "INVOICE_NUMBER":
            return str(entity["text"])
    match = _INVOICE_LABEL.search(text)
    return match.group(1) if match else None


def _vendor(text: str, entities: list[dict[str, Any]], own_name: str | None) -> str | None:
    match = _VENDOR_LINE.search(text)
    if match:
        return match.group(1)
    own = (own_name or "").strip().lower()
    for entity in entities:
        if entity["label"] == "ORG" and entity["text"].strip().lower() != own:
            return str(entity["text"])
    return None


def _amount(entity_text: str) -> Decimal | None:
    digits = re.search(r"\d[\d,]*(?:\.\d{1,2})?", entity_text)
    if digits is None:
        return None
    try:
        value = Decimal(digits.group(0).replace(",", "")).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    return value if value < Decimal("1e13") else None


def _total(text: str, entities: list[dict[str, Any]]) -> Decimal | None:
    """The amount labelled as a total, else the largest KES amount."""
    amounts = [
        (entity, _amount(entity["text"])) for entity in entities if entity["label"] == "MONEY"
    ]
    amounts = [(entity, value) for entity, value in amounts if value is not None]
    for entity, value in amounts:
        if _TOTAL_BEFORE.search(text[max(0, entity["start"] - 24) : entity["start"]]):
            return value
    return max((value for _, value in amounts), default=None)  # type: ignore[type-var]


def _date(raw: str) -> date | None:
    """A DATE entity's day (day-first for slashes, as in Kenya); None when unreadable."""
    parts = re.findall(r"[A-Za-z]+|\d+", raw)
    try:
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            if len(parts[0]) == 4:
                return date(int(parts[0]), int(parts[1]), int(parts[2]))
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
        if len(parts) == 3 and parts[1].lower() in _MONTHS:
            return date(int(parts[2]), _MONTHS[parts[1].lower()], int(parts[0]))
        if len(parts) == 3 and parts[0].lower() in _MONTHS:
            return date(int(parts[2]), _MONTHS[parts[0].lower()], int(parts[1]))
    except ValueError:
        return None
    return None
