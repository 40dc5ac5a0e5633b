"""Aware timestamps the database can store: their UTC instant must exist in Python.

``0001-01-01T00:00:00+14:00`` is a valid ISO string, but its UTC instant falls in year 0;
asyncpg converts every aware value to UTC on the way out and would fail deep inside a
query. Checking here turns it into the caller's mistake, at the edge.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["in_utc"]


def in_utc(value: datetime) -> datetime:
    """``value`` as UTC; ValueError when it is naive or its UTC instant is out of range."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp needs a time zone offset")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("timestamp is out of range once converted to UTC") from None
