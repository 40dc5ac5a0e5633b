"""The pure parts of the pipeline: summary cuts, classification, risk rules, sniffing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.files.sniff import sniff_mime
from app.nlp.risk import RiskFacts, risk_score
from app.nlp.text_rules import classify, summarize


def test_summary_never_cuts_a_word() -> None:
    text = ("alpha " * 30) + "unbreakable" + " tail" * 40
    for limit in range(10, 240, 7):
        summary = summarize(text, limit)
        assert summary is not None and len(summary) <= limit
        assert summary.endswith("…")
        words = summary[:-1].split()
        assert all(word in ("alpha", "unbreakable", "tail") for word in words)
    assert summarize("short text", 240) == "short text"
    assert summarize("   ", 240) is None


def test_classification_has_a_confidence() -> None:
    assert classify("Opening balance ... closing balance, bank statement")[0] == "bank_statement"
    label, confidence = classify("This Agreement between the parties, hereby")
    assert label == "contract" and 0.5 < confidence <= 1
    assert classify("nothing to see", None) == ("other", 0.5)


def test_risk_rules_add_up_with_their_reasons() -> None:
    facts = RiskFacts(
        classification="invoice",
        invoice_number=None,
        total_amount=Decimal("2000000"),
        threshold=Decimal("1000000"),
        duplicate_of=7,
        vendor_name="New Vendor Ltd",
        vendor_seen_before=False,
        future_dates=(date(2999, 1, 1),),
    )
    score, reasons = risk_score(facts)
    assert score == 1.0
    assert {r["rule"] for r in reasons} == {
        "missing_invoice_number",
        "amount_over_threshold",
        "duplicate_content",
        "new_vendor",
        "future_date",
    }
    clean = RiskFacts("invoice", "INV-1", Decimal("10"), Decimal("1000000"), None, "V", True, ())
    assert risk_score(clean) == (0.0, [])


def test_sniffing_by_content() -> None:
    assert sniff_mime(b"%PDF-1.7\n...", complete=True) == "application/pdf"
    assert sniff_mime("Nairobi é KES".encode(), complete=True) == "text/plain"
    assert sniff_mime("é".encode()[:1], complete=False) == "text/plain"  # cut mid-character
    assert sniff_mime(b"\x89PNG\r\n\x1a\n", complete=True) is None
    assert sniff_mime(b"", complete=True) is None
