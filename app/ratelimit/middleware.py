"""The aiohttp middleware: count the request, answer 429 or add ``RateLimit-*`` headers."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from app.encoding import JSON, error_body, error_response
from app.errors import RATE_LIMITED
from app.ratelimit.fallback import FallbackLimiter
from app.ratelimit.policy import Decision
from app.request_id import request_id_of

__all__ = ["EXEMPT_PATHS", "MSG_RATE_LIMITED", "rate_limit_middleware"]

EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
MSG_RATE_LIMITED = "Too many requests; retry after {seconds} s."


def rate_limit_middleware(
    limiter: FallbackLimiter,
    key_of: Callable[[web.Request], str],
    exempt: frozenset[str] = EXEMPT_PATHS,
    on_refused: Callable[[web.Request, float], None] | None = None,
) -> Middleware:
    """A middleware limiting every path except ``exempt`` (probes and metrics).

    Args:
        limiter: decides per client key.
        key_of: the client key of a request (app.ratelimit.client_key).
        exempt: paths never limited.
        on_refused: called with the request and seconds spent, for each 429 (metrics).
    """

    @web.middleware
    async def rate_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in exempt:
            return await handler(request)
        started = time.perf_counter()
        decision = await limiter.hit(key_of(request))
        if not decision.allowed:
            if on_refused is not None:
                on_refused(request, time.perf_counter() - started)
            return _limited(request, decision)
        headers = decision.headers()
        try:
            response = await handler(request)
        except web.HTTPException as error:
            error.headers.update(headers)
            raise
        if not response.prepared:
            response.headers.update(headers)
        return response

    return rate_limit


def _limited(request: web.Request, decision: Decision) -> web.Response:
    headers = decision.headers()
    seconds = int(headers["Retry-After"])
    body = error_body(MSG_RATE_LIMITED.format(seconds=seconds), RATE_LIMITED, retryAfter=seconds)
    return error_response(body, 429, JSON, request_id_of(request), headers)
