"""GraphQL ``ID`` values are database integers written as strings."""

from __future__ import annotations

from app.errors import bad_input

__all__ = ["parse_id"]

_MAX_BIGINT = 2**63 - 1


def parse_id(value: str | int, argument: str = "id") -> int:
    """The integer in ``value``; BAD_USER_INPUT naming ``argument`` when it is not a valid id."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        raise bad_input(
            f"{argument} must be a positive integer id, got {str(value)[:40]!r}.", argument
        )
    number = int(text)
    if not 0 < number <= _MAX_BIGINT:
        raise bad_input(f"{argument} is out of range.", argument)
    return number
