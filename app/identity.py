"""The identity stage: the caller of a request, from its bearer token.

Every transport names its caller the same way: an HTTP request (POST, GET, multipart, the
SSE request and the WebSocket upgrade) by its ``Authorization`` header, verified once per
request (the rate limiter and the endpoint both ask; the first verifies and the outcome,
or the failure, is kept on the request); a WebSocket by the ``Authorization`` entry of its
``connection_init`` payload, through ``viewer_from_authorization``.
"""

from __future__ import annotations

from aiohttp import web

from app.auth import TokenVerifier, Viewer
from app.errors import UNAUTHENTICATED, ApiError
from app.protocol import RequestError

__all__ = ["viewer_from_authorization", "viewer_of"]

_OUTCOME = web.RequestKey("bearer_outcome", object)
_HEADER_ERROR = "Authorization must be 'Bearer <token>'."


def viewer_of(request: web.Request, verifier: TokenVerifier) -> Viewer | None:
    """The token's viewer; None without an Authorization header.

    Raises RequestError (401) for a header that is not ``Bearer <token>`` and ApiError
    (UNAUTHENTICATED) for a token that does not verify, every time it is asked.
    """
    outcome = request.get(_OUTCOME)
    if outcome is None:
        outcome = _verify(request, verifier)
        request[_OUTCOME] = outcome
    if isinstance(outcome, Exception):
        raise outcome
    return outcome if isinstance(outcome, Viewer) else None


def _verify(request: web.Request, verifier: TokenVerifier) -> Viewer | Exception | bool:
    outcome = _outcome(request.headers.get("Authorization"), verifier)
    return False if outcome is None else outcome  # a stored None would read as "not verified"


def viewer_from_authorization(header: str | None, verifier: TokenVerifier) -> Viewer | None:
    """The viewer of an ``Authorization`` value (``Bearer <token>``); None when absent.

    Raises as ``viewer_of`` does: RequestError (401) for a malformed value, ApiError
    (UNAUTHENTICATED) for a token that does not verify.
    """
    outcome = _outcome(header, verifier)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _outcome(header: str | None, verifier: TokenVerifier) -> Viewer | Exception | None:
    if not header:
        return None  # anonymous
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return RequestError(
            401,
            _HEADER_ERROR,
            UNAUTHENTICATED,
            {"WWW-Authenticate": 'Bearer error="invalid_request"'},
        )
    try:
        return verifier.verify(token.strip())
    except ApiError as error:
        return error
