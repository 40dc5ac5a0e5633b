"""Entity-ruler patterns for Kenyan financial documents, and the tokenizer rules they need.

Labels: MONEY (KES amounts), INVOICE_NUMBER, KRA_PIN (``A123456789Z``), PHONE, MPESA_CODE,
DATE and ORG (the company register, and capitalised names ending in Ltd/Limited/PLC...).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "LABELS",
    "organisation_patterns",
    "rule_patterns",
    "tokenizer_prefixes",
    "tokenizer_suffixes",
]

LABELS = ("MONEY", "INVOICE_NUMBER", "KRA_PIN", "PHONE", "MPESA_CODE", "DATE", "ORG")

_MONTHS = [
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec",
]  # fmt: skip
_CURRENCY = ["kes", "ksh", "kshs", "ksh.", "kes.", "kshs."]
_AMOUNT = r"^\d{1,3}(,\d{3})*(\.\d{1,2})?$|^\d+(\.\d{1,2})?$"
_COMPANY_SUFFIXES = ["ltd", "ltd.", "limited", "plc", "llc", "inc", "inc.", "llp"]


def tokenizer_prefixes() -> list[str]:
    """Split a currency glued to its amount (``KES12,500``, ``Ksh.3,000``)."""
    return [r"(?i:kshs|ksh|kes)\.?(?=\d)"]


def tokenizer_suffixes() -> list[str]:
    """Split a sentence's full stop off codes (``A123456789Z.``, ``INV-7781.``)."""
    return [r"(?<=[0-9A-Z])\."]


def rule_patterns() -> list[dict[str, Any]]:
    """The fixed patterns (no company register)."""
    return [
        # KES amounts: "KES 12,500.00", "Ksh. 3,000", "12,500 KES"
        {"label": "MONEY", "pattern": [{"LOWER": {"IN": _CURRENCY}}, {"TEXT": {"REGEX": _AMOUNT}}]},
        {"label": "MONEY", "pattern": [{"TEXT": {"REGEX": _AMOUNT}}, {"LOWER": {"IN": ["kes", "ksh", "kshs"]}}]},
        # Invoice numbers: INV-7781, INV/2025/003, INV7781
        {"label": "INVOICE_NUMBER", "pattern": [{"TEXT": {"REGEX": r"^(?i:inv)[-/#]?\d[\w/-]*$"}}]},
        # KRA PIN: A or P, nine digits, a letter
        {"label": "KRA_PIN", "pattern": [{"TEXT": {"REGEX": r"^[AP]\d{9}[A-Z]$"}}]},
        # M-Pesa transaction codes: ten upper-case letters and digits, starting with a letter
        {"label": "MPESA_CODE", "pattern": [{"TEXT": {"REGEX": r"^(?=[A-Z0-9]{10}$)(?=.*\d)(?=.*[A-Z].*[A-Z])[A-Z][A-Z0-9]{9}$"}}]},
        # Phones: +254712345678, 0712345678, +254 712 345 678, 0712 345 678
        {"label": "PHONE", "pattern": [{"TEXT": {"REGEX": r"^(\+254|0)[17]\d{8}$"}}]},
        {"label": "PHONE", "pattern": [{"TEXT": {"IN": ["+254", "254"]}}, {"TEXT": {"REGEX": r"^[17]\d{2}$"}}, {"SHAPE": "ddd"}, {"SHAPE": "ddd"}]},
        {"label": "PHONE", "pattern": [{"TEXT": {"REGEX": r"^0[17]\d{2}$"}}, {"SHAPE": "ddd"}, {"SHAPE": "ddd"}]},
        # Dates: 30/06/2025, 2025-06-30, 30 June 2025, June 30, 2025
        {"label": "DATE", "pattern": [{"TEXT": {"REGEX": r"^\d{1,2}[/.]\d{1,2}[/.]\d{4}$"}}]},
        {"label": "DATE", "pattern": [{"TEXT": {"REGEX": r"^\d{4}-\d{2}-\d{2}$"}}]},
        {"label": "DATE", "pattern": [{"SHAPE": "dddd"}, {"ORTH": "-"}, {"SHAPE": "dd"}, {"ORTH": "-"}, {"SHAPE": "dd"}]},
        {"label": "DATE", "pattern": [{"SHAPE": {"IN": ["d", "dd"]}}, {"LOWER": {"IN": _MONTHS}}, {"SHAPE": "dddd"}]},
        {"label": "DATE", "pattern": [{"LOWER": {"IN": _MONTHS}}, {"SHAPE": {"IN": ["d", "dd"]}}, {"ORTH": ",", "OP": "?"}, {"SHAPE": "dddd"}]},
        # Organisations by their legal suffix: "Simba Cement Ltd"
        {"label": "ORG", "pattern": [{"IS_TITLE": True, "OP": "+"}, {"LOWER": {"IN": _COMPANY_SUFFIXES}}]},
    ]  # fmt: skip


def organisation_patterns(names: tuple[str, ...]) -> list[dict[str, Any]]:
    """Phrase patterns for the companies of the register (matched case-insensitively)."""
    return [{"label": "ORG", "pattern": name} for name in names if name.strip()]
