"""Classification, keywords and summary of a document's text: cheap, deterministic rules."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["CLASSES", "SUMMARY_LENGTH", "classify", "keywords", "summarize"]

CLASSES = ("invoice", "receipt", "contract", "tender", "bank_statement", "tax", "other")
SUMMARY_LENGTH = 240

# Cue phrases per class; each occurrence adds its weight to the class's score.
_CUES: dict[str, tuple[tuple[str, float], ...]] = {
    "invoice": (("invoice", 3), ("amount due", 2), ("bill to", 2), ("payment terms", 1), ("due date", 1)),
    "receipt": (("receipt", 3), ("received with thanks", 3), ("amount paid", 2), ("cash sale", 2), ("paid", 0.5)),
    "contract": (("agreement", 3), ("contract", 3), ("hereby", 1), ("parties", 1), ("terms and conditions", 1), ("witness", 1)),
    "tender": (("tender", 3), ("bid", 2), ("procurement", 2), ("rfq", 2), ("request for proposal", 2), ("closing date", 1)),
    "bank_statement": (("statement", 2), ("opening balance", 3), ("closing balance", 3), ("account number", 1), ("bank", 1)),
    "tax": (("kra", 2), ("tax", 2), ("vat", 1.5), ("pin certificate", 3), ("tax compliance", 3), ("withholding", 2), ("itax", 2)),
}  # fmt: skip
# What a declared document type says about the class (a weak prior).
_TYPE_CLASS = {
    "invoice": "invoice",
    "receipt": "receipt",
    "contract": "contract",
    "tender": "tender",
    "bank_statement": "bank_statement",
    "tax_compliance": "tax",
}
_PRIOR = 1.0
_WORD = re.compile(r"[^\W\d_]{4,}")


def classify(text: str, declared_type: str | None = None) -> tuple[str, float]:
    """(class, confidence 0..1): the class with the most cue weight; ``other`` when none.

    Confidence is the winner's share of all cue weight, so a text with cues of one class
    only scores 1.0 and a text split between two classes about 0.5.
    """
    lowered = " ".join(text.lower().split())
    scores = {name: 0.0 for name in _CUES}
    for name, cues in _CUES.items():
        for phrase, weight in cues:
            scores[name] += weight * len(re.findall(rf"\b{re.escape(phrase)}\b", lowered))
    prior = _TYPE_CLASS.get(declared_type or "")
    if prior is not None:
        scores[prior] += _PRIOR
    total = sum(scores.values())
    if total <= 0:
        return "other", 0.5
    best = max(scores, key=lambda name: (scores[name], -CLASSES.index(name)))
    return best, round(scores[best] / total, 3)


def keywords(words: Iterable[str], stop_words: frozenset[str], limit: int = 8) -> list[str]:
    """The most frequent words of four letters or more that are not stop words."""
    counts: dict[str, int] = {}
    for word in words:
        lowered = word.lower()
        if _WORD.fullmatch(lowered) and lowered not in stop_words:
            counts[lowered] = counts.get(lowered, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, _ in ranked[:limit]]


def summarize(text: str, limit: int = SUMMARY_LENGTH) -> str | None:
    """The start of the text, whitespace collapsed, cut at a word boundary (never mid-word).

    A cut summary ends with "…"; the ellipsis counts toward ``limit``.
    """
    flat = " ".join(text.split())
    if not flat:
        return None
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if flat[limit - 1] != " ":  # the character after the cut continues a word: drop that word
        space = cut.rfind(" ")
        cut = cut[:space] if space > 0 else ""
    cut = cut.rstrip(" ,;:")
    return f"{cut}…" if cut else None
