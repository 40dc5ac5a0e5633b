"""Request ids: the caller's ``X-Request-Id`` when sane, else a fresh one; shown on every reply."""

from __future__ import annotations

import itertools
import os
import re
import secrets

from aiohttp import web

__all__ = ["REQUEST_ID_HEADER", "new_request_id", "request_id_of"]

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


# A fresh id is this process's random prefix and a counter: unique across processes and
# restarts (the prefix has 64 random bits), and a fraction of uuid4's cost, which reads
# the OS's random source on every request. Ids name requests in logs; they are no secret.
_PREFIX = secrets.token_hex(8)
_counter = itertools.count(1)


def _reseed() -> None:
    """A forked worker gets a prefix of its own (checked at the fork, not per request:
    os.getpid() is a system call)."""
    global _PREFIX, _counter
    _PREFIX, _counter = secrets.token_hex(8), itertools.count(1)


os.register_at_fork(after_in_child=_reseed)


def new_request_id() -> str:
    """A new id: 32 hex digits, like uuid4().hex: this process's prefix, then a counter."""
    return f"{_PREFIX}{next(_counter):016x}"


def request_id_of(request: web.Request) -> str:
    """The caller's X-Request-Id when it is sane, else a new one."""
    given = request.headers.get(REQUEST_ID_HEADER)
    if given is not None and _REQUEST_ID.match(given):
        return given
    return new_request_id()
