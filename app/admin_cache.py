"""``GET /admin/cache/stats`` and ``POST /admin/cache/clear``: the response cache, for operators.

Both need a bearer token with role ``admin`` over every company (``"*"``): the cache holds
every tenant's answers, so its figures and its clearing are not one tenant's business. No
token is 401, another role or a narrower scope is 403, both GraphQL-shaped with a stable
code and the request id, like every other refusal. ``vanta cache`` (app/cache_command.py)
is their client.

What "the cache" is depends on the backend. Redis: the one store every worker shares
(only this server's key prefix is counted or cleared). Memory: each worker has its own
store, and one request reaches one worker: stats are that worker's (the answer names its
pid), while clear also tells every other worker over the invalidation bus (PostgreSQL
NOTIFY), so a clear never leaves stale answers in a worker the request did not reach.
"""

from __future__ import annotations

import os
from typing import Any

import orjson
from aiohttp import web

from app.cache.backend import CacheUnavailable
from app.encoding import (
    JSON,
    NO_STORE,
    api_error_body,
    error_body,
    error_response,
    request_error_body,
)
from app.errors import FORBIDDEN, SERVICE_UNAVAILABLE, UNAUTHENTICATED, ApiError
from app.identity import viewer_of
from app.protocol import RequestError
from app.request_id import REQUEST_ID_HEADER, request_id_of
from app.resources import RESPONSE_CACHE, TOKEN_VERIFIER

__all__ = [
    "CLEAR_PATH",
    "MSG_ADMIN_ONLY",
    "MSG_NO_TOKEN",
    "STATS_PATH",
    "add_cache_admin_routes",
]

STATS_PATH = "/admin/cache/stats"
CLEAR_PATH = "/admin/cache/clear"
MSG_NO_TOKEN = "Authentication required: send 'Authorization: Bearer <admin token>'."
MSG_ADMIN_ONLY = "The response cache is managed by admins over every company (role admin, '*')."
MSG_UNAVAILABLE = "The response cache backend ({backend}) did not answer: {reason}"
ALL_WORKERS = "all (the others told over PostgreSQL NOTIFY)"


def add_cache_admin_routes(app: web.Application) -> None:
    app.router.add_get(STATS_PATH, stats_handler)
    app.router.add_post(CLEAR_PATH, clear_handler)


async def stats_handler(request: web.Request) -> web.Response:
    """Entries, bytes, budget, evictions (the backend's) and hits, misses, bypasses (this
    worker's lookups since it started)."""
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    cache = request.app[RESPONSE_CACHE]
    body: dict[str, Any] = _about(request)
    try:
        stats = await cache.stats()
    except CacheUnavailable as error:
        return _unavailable(request, body["backend"], error)
    counts = cache.counts
    body.update(
        entries=None if stats is None else stats.entries,
        bytes=None if stats is None else stats.bytes,
        budget=None if stats is None else stats.budget,
        evictions=None if stats is None else stats.evictions,
        hits=counts.hits,
        misses=counts.misses,
        bypasses=counts.bypasses,
        pendingInvalidations=cache.pending,
    )
    return _ok(request, body)


async def clear_handler(request: web.Request) -> web.Response:
    """Drop every entry; with the in-process backend, in every worker."""
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    cache = request.app[RESPONSE_CACHE]
    body = _about(request)
    try:
        body["cleared"] = await cache.clear()
    except CacheUnavailable as error:
        return _unavailable(request, body["backend"], error)
    if cache.on_local_clear is not None:
        body["workers"] = ALL_WORKERS
    return _ok(request, body)


def _ok(request: web.Request, body: dict[str, Any]) -> web.Response:
    headers = {REQUEST_ID_HEADER: request_id_of(request), "Cache-Control": NO_STORE}
    return web.json_response(body, headers=headers, dumps=_dumps)


def _dumps(body: Any) -> str:
    return orjson.dumps(body).decode()


def _about(request: web.Request) -> dict[str, Any]:
    """Which backend answers, and which worker (its store is its own with ``memory``)."""
    backend = request.app[RESPONSE_CACHE].backend
    name = "off" if backend is None else backend.name
    scope = "this worker's store" if name == "memory" else "shared by every worker"
    return {"backend": name, "scope": scope, "worker": os.getpid()}


def _refusal(request: web.Request) -> web.Response | None:
    """401 without a valid token, 403 unless it is an admin's over every company."""
    request_id = request_id_of(request)
    try:
        viewer = viewer_of(request, request.app[TOKEN_VERIFIER])
    except RequestError as error:
        return error_response(
            request_error_body(error), error.status, JSON, request_id, error.headers
        )
    except ApiError as error:
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        return error_response(api_error_body(error), 401, JSON, request_id, headers)
    if viewer is None:
        body = error_body(MSG_NO_TOKEN, UNAUTHENTICATED)
        return error_response(body, 401, JSON, request_id, {"WWW-Authenticate": "Bearer"})
    if viewer.role != "admin" or viewer.company_ids is not None:
        return error_response(error_body(MSG_ADMIN_ONLY, FORBIDDEN), 403, JSON, request_id)
    return None


def _unavailable(request: web.Request, backend: str, error: Exception) -> web.Response:
    message = MSG_UNAVAILABLE.format(backend=backend, reason=error)
    body = error_body(message, SERVICE_UNAVAILABLE)
    return error_response(body, 503, JSON, request_id_of(request))
