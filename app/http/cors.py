"""CORS for browser apps on other origins, answered before rate limiting and CSRF prevention.

Hand-written rather than aiohttp-cors (0.8.1), for three reasons found while wiring it: it
refuses a ``"*"`` method route that is not a class-based view (``/graphql`` is one, and the
handler answers 405 itself for other methods), it never sends ``Vary: Origin`` although it
echoes the request's origin (a shared cache would hand one origin's grant to another), and
it adds its headers in ``on_response_prepare``, after errors raised as ``HTTPException`` have
lost theirs. What the API needs is the small part below.

Example::

    app.middlewares.insert(0, cors_middleware(("http://localhost:5173",)))

An unlisted origin gets no CORS header at all: the browser then refuses to show it the
answer, and a state change still cannot come from it, because every request a browser
sends cross-site without a preflight is refused by ``app.csrf`` and a preflight from it
is refused here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware

from app.http.headers import add_vary

__all__ = ["ALLOWED_HEADERS", "ALLOWED_METHODS", "EXPOSED_HEADERS", "cors_middleware"]

ALLOWED_METHODS = ("GET", "POST")
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Apollo-Require-Preflight",
    "X-Apollo-Operation-Name",
    "Idempotency-Key",
    "X-Request-Id",
    "Apollographql-Client-Name",
    "Apollographql-Client-Version",
)
EXPOSED_HEADERS = (
    "X-Request-Id",
    "X-Cache",
    "X-DB-Round-Trips",
    "X-Execution-Path",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
)
PREFLIGHT_MAX_AGE_SECONDS = 600
_Grant = Callable[[str, web.StreamResponse | web.HTTPException], None]
MSG_ORIGIN_REFUSED = "CORS: this origin is not allowed (see VANTA_CORS_ORIGINS)"


def cors_middleware(origins: Iterable[str]) -> Middleware:
    """A middleware granting ``origins`` (exact ``scheme://host[:port]``, or ``*`` alone).

    Exact origins get ``Access-Control-Allow-Credentials: true`` (cookies may be sent);
    ``*`` never does (browsers forbid credentials with a wildcard).

    Args:
        origins: the parsed ``VANTA_CORS_ORIGINS``; must not be empty.
    """
    allowed = frozenset(origins)
    if not allowed:
        raise ValueError("origins must not be empty (no CORS: do not install the middleware)")
    if "*" in allowed and len(allowed) > 1:
        raise ValueError("origins: '*' cannot be combined with exact origins")
    wildcard = "*" in allowed

    def grant(origin: str, response: web.StreamResponse | web.HTTPException) -> None:
        target = response.headers
        if not wildcard:
            add_vary(target, "Origin")  # the answer differs by Origin, listed or not
        if origin not in allowed and not wildcard:
            return
        target[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = "*" if wildcard else origin
        if not wildcard:
            target[hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS] = "true"

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is None:
            return await handler(request)
        if request.method == hdrs.METH_OPTIONS and hdrs.ACCESS_CONTROL_REQUEST_METHOD in (
            request.headers
        ):
            return _preflight(origin, wildcard or origin in allowed, grant)
        try:
            response = await handler(request)
        except web.HTTPException as error:
            grant(origin, error)
            error.headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = ", ".join(EXPOSED_HEADERS)
            raise
        grant(origin, response)
        if hdrs.ACCESS_CONTROL_ALLOW_ORIGIN in response.headers:
            response.headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = ", ".join(EXPOSED_HEADERS)
        return response

    return cors


def _preflight(origin: str, listed: bool, grant: _Grant) -> web.Response:
    """204 with what the browser may send (it checks the request against it), or 403."""
    if not listed:
        response = web.Response(status=403, text=MSG_ORIGIN_REFUSED)
        grant(origin, response)  # Vary: Origin only
        return response
    response = web.Response(status=204)
    grant(origin, response)
    response.headers[hdrs.ACCESS_CONTROL_ALLOW_METHODS] = ", ".join(ALLOWED_METHODS)
    response.headers[hdrs.ACCESS_CONTROL_ALLOW_HEADERS] = ", ".join(ALLOWED_HEADERS)
    response.headers[hdrs.ACCESS_CONTROL_MAX_AGE] = str(PREFLIGHT_MAX_AGE_SECONDS)
    return response
