"""Request ids: the caller's ``X-Request-Id`` when sane, else a fresh one; shown on every reply."""

from __future__ import annotations

import re
import uuid

from aiohttp import web

__all__ = ["REQUEST_ID_HEADER", "request_id_of"]

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id_of(request: web.Request) -> str:
    """The caller's X-Request-Id when it is sane, else a new one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex
