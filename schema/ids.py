"""GraphQL ``ID`` values are database integers written as strings."""

from __future__ import annotations

from app.errors import bad_input

__all__ = ["parse_id"]

_MAX_BIGINT = 2**63 - 1
# Digits of the largest bigint: longer text is out of range before any conversion, which
# also keeps int() away from its 4,300-digit limit (a ValueError of its own).
_MAX_DIGITS = len(str(_MAX_BIGINT))


def parse_id(value: str | int, argument: str = "id") -> int:
    """The integer in ``value``; BAD_USER_INPUT naming ``argument`` when it is not a valid id."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise bad_input(f"{argument} must be a positive integer id.", argument)
    if isinstance(value, int):
        if not 0 < value <= _MAX_BIGINT:
            raise bad_input(f"{argument} is out of range.", argument)
        return value
    text = value.strip()
    if not text.isascii() or not text.isdigit():
        raise bad_input(f"{argument} must be a positive integer id, got {value[:40]!r}.", argument)
    if len(text.lstrip("0")) > _MAX_DIGITS:
        raise bad_input(f"{argument} is out of range.", argument)
    number = int(text.lstrip("0") or "0")
    if not 0 < number <= _MAX_BIGINT:
        raise bad_input(f"{argument} is out of range.", argument)
    return number
