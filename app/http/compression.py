"""gzip and br for responses over ~1 KB when the client accepts them.

Example::

    app.middlewares.append(compression_middleware())

A body that arrives as an ``app.codings.EncodedBody`` (a response-cache hit) is sent in
the form computed when it was stored: a hit never compresses again. Other bodies are
compressed here, per response. ``Vary: Accept-Encoding`` goes on every response that
could have been compressed, so an HTTP cache keeps the forms apart.
"""

from __future__ import annotations

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware

from app.codings import CODINGS, COMPRESS_MIN_BYTES, EncodedBody, compress
from app.http.headers import add_vary

__all__ = ["compression_middleware", "negotiate"]

_COMPRESSIBLE = (
    "application/json",
    "application/graphql-response+json",
    "text/",
    "application/javascript",
)


def negotiate(accept_encoding: str) -> str | None:
    """The coding to use for ``Accept-Encoding`` (br before gzip at equal weight), or None."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[name] = weight
    best: str | None = None
    best_weight = 0.0
    for coding in CODINGS:
        weight = weights.get(coding, weights.get("*", 0.0))
        if weight > best_weight:
            best, best_weight = coding, weight
    return best


def compression_middleware(min_bytes: int = COMPRESS_MIN_BYTES) -> Middleware:
    """Compress ``web.Response`` bodies of at least ``min_bytes`` in the accepted coding.

    Args:
        min_bytes: smaller bodies are sent as they are (must be >= 0).
    """
    if min_bytes < 0:
        raise ValueError(f"min_bytes must be >= 0, got {min_bytes}")

    @web.middleware
    async def compression(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if not isinstance(response, web.Response) or hdrs.CONTENT_ENCODING in response.headers:
            return response
        body = response.body
        if not isinstance(body, bytes) or len(body) < min_bytes:
            return response
        if response.status in (204, 304) or not response.content_type.startswith(_COMPRESSIBLE):
            return response
        add_vary(response.headers, "Accept-Encoding")
        coding = negotiate(request.headers.get(hdrs.ACCEPT_ENCODING, ""))
        if coding is None:
            return response
        stored = body.variants.get(coding) if isinstance(body, EncodedBody) else None
        response.body = stored if stored is not None else compress(body, coding)
        response.headers[hdrs.CONTENT_ENCODING] = coding
        return response

    return compression
