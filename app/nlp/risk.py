"""The risk score: stated rules, each adding its weight, capped at 1, with the reasons kept.

| rule | weight | when |
|---|---|---|
| missing_invoice_number | 0.25 | an invoice or receipt without an invoice number |
| amount_over_threshold | 0.30 | total above the company's threshold (VANTA_RISK_AMOUNT_THRESHOLD) |
| duplicate_content | 0.35 | another document of the company has the same bytes (sha256) |
| new_vendor | 0.15 | the vendor never appeared on an earlier document of the company |
| future_date | 0.20 | a date in the text lies after the day of processing |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

__all__ = ["WEIGHTS", "RiskFacts", "risk_score"]

WEIGHTS = {
    "missing_invoice_number": 0.25,
    "amount_over_threshold": 0.30,
    "duplicate_content": 0.35,
    "new_vendor": 0.15,
    "future_date": 0.20,
}


@dataclass(frozen=True, slots=True)
class RiskFacts:
    classification: str
    invoice_number: str | None
    total_amount: Decimal | None
    threshold: Decimal
    duplicate_of: int | None  # another document with the same content
    vendor_name: str | None
    vendor_seen_before: bool
    future_dates: tuple[date, ...]


def risk_score(facts: RiskFacts) -> tuple[float, list[dict[str, object]]]:
    """(score 0..1, reasons): one reason per rule that fired, with its weight and detail."""
    reasons: list[dict[str, object]] = []

    def fire(rule: str, detail: str) -> None:
        reasons.append({"rule": rule, "weight": WEIGHTS[rule], "detail": detail})

    if facts.classification in ("invoice", "receipt") and not facts.invoice_number:
        fire("missing_invoice_number", f"a {facts.classification} without an invoice number")
    if facts.total_amount is not None and facts.total_amount > facts.threshold:
        fire("amount_over_threshold", f"KES {facts.total_amount} is over {facts.threshold}")
    if facts.duplicate_of is not None:
        fire("duplicate_content", f"same content as document {facts.duplicate_of}")
    if facts.vendor_name and not facts.vendor_seen_before:
        fire("new_vendor", f"first document from {facts.vendor_name}")
    if facts.future_dates:
        fire("future_date", f"dated {max(facts.future_dates).isoformat()}, after today")
    score = min(1.0, round(sum(float(r["weight"]) for r in reasons), 4))  # type: ignore[arg-type]
    return score, reasons
