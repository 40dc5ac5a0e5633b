"""Checks on mutation input that run before anything is written."""

from __future__ import annotations

import re
from decimal import Decimal

from app.auth import Viewer
from app.errors import ApiError, bad_input, forbidden, not_found

__all__ = [
    "check_amount",
    "check_currency",
    "check_filename",
    "check_tags",
    "check_text",
    "hidden",
    "optional_text",
]

MAX_CONTENT_BYTES = 1_000_000
MAX_TAGS = 20
MAX_TAG_LENGTH = 50
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MAX_AMOUNT = Decimal("10000000000000")  # numeric(15, 2) holds 13 digits before the point


def hidden(viewer: Viewer, what: str, ident: int) -> ApiError:
    """The error for a row that is missing or outside the caller's companies.

    A caller restricted to some companies gets FORBIDDEN either way, so the answer does
    not reveal whether another company's row exists.
    """
    if viewer.company_ids is None:
        return not_found(f"{what} {ident} does not exist.")
    return forbidden(f"{what} {ident} is not one of yours to change.")


def check_text(value: str, argument: str, max_length: int) -> str:
    text = value.strip()
    if not text:
        raise bad_input(f"{argument} must not be empty.", argument)
    if len(text) > max_length:
        raise bad_input(f"{argument} is limited to {max_length} characters.", argument)
    if "\x00" in text:
        raise bad_input(f"{argument} must not contain NUL characters.", argument)
    return text


def optional_text(value: str | None, argument: str, max_length: int = 500) -> str | None:
    """Like check_text for optional fields: None and blank become None."""
    if value is None or not value.strip():
        return None
    return check_text(value, argument, max_length)


def check_filename(value: str) -> str:
    name = check_text(value, "filename", 255)
    if "/" in name or "\\" in name:
        raise bad_input("filename must not contain path separators.", "filename")
    return name


def check_tags(tags: list[str] | None, argument: str = "tags") -> list[str] | None:
    if tags is None:
        return None
    if len(tags) > MAX_TAGS:
        raise bad_input(f"{argument} holds at most {MAX_TAGS} tags.", argument)
    cleaned: list[str] = []
    for tag in tags:
        text = check_text(tag, argument, MAX_TAG_LENGTH).lower()
        if text not in cleaned:
            cleaned.append(text)
    return cleaned


def check_amount(amount: Decimal) -> Decimal:
    if not amount.is_finite() or amount <= 0:
        raise bad_input("amount must be a positive number.", "amount")
    if amount >= _MAX_AMOUNT:
        raise bad_input("amount is too large.", "amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise bad_input("amount has at most two decimal places.", "amount")
    return amount.quantize(Decimal("0.01"))


def check_currency(currency: str) -> str:
    if not _CURRENCY.match(currency):
        raise bad_input("currency must be a three-letter ISO code such as KES.", "currency")
    return currency
