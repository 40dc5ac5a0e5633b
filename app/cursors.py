"""Opaque keyset cursors: base64url of a small JSON array naming the sort and its key."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Any

import orjson

from app.errors import ApiError, bad_input
from app.timestamps import in_utc

__all__ = [
    "decode_cursor",
    "encode_cursor",
]

_MAX_CURSOR_LENGTH = 512


def encode_cursor(kind: str, *key: Any) -> str:
    """Cursor for a row at sort key ``key`` in an ordering called ``kind``."""
    payload = [kind, *(_encode_value(value) for value in key)]
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, shape: tuple[type, ...]) -> tuple[Any, ...]:
    """Key of ``cursor`` for ordering ``kind``; BAD_USER_INPUT when it is not one of ours.

    ``shape`` lists the Python type of each key part (int, float, datetime, date).
    """
    if len(cursor) > _MAX_CURSOR_LENGTH:
        raise _bad_cursor()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise _bad_cursor() from None
    if not isinstance(payload, list) or len(payload) != len(shape) + 1 or payload[0] != kind:
        raise _bad_cursor()
    try:
        return tuple(
            _decode_value(raw, kind_) for raw, kind_ in zip(payload[1:], shape, strict=True)
        )
    except (TypeError, ValueError):
        raise _bad_cursor() from None


def _bad_cursor() -> ApiError:
    return bad_input("The 'after' cursor is not valid for this list and ordering.", "after")


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _decode_value(raw: Any, kind: type) -> Any:
    if kind is int:
        if not isinstance(raw, int) or isinstance(raw, bool) or not 0 < raw < 2**63:
            raise TypeError  # ids are positive bigints; anything else is not our cursor
        return raw
    if kind is float:
        if not isinstance(raw, int | float) or isinstance(raw, bool):
            raise TypeError
        return float(raw)
    if kind is datetime:
        if not isinstance(raw, str):
            raise TypeError
        return in_utc(datetime.fromisoformat(raw))  # ValueError when naive or out of range
    if kind is date:
        return date.fromisoformat(raw)
    if kind is str:
        if not isinstance(raw, str) or "\x00" in raw:
            raise TypeError
        return raw
    raise TypeError(kind)
