"""The caller of an HTTP request, from its bearer token: verified once per request.

The rate limiter (outermost middleware) and the GraphQL handler both need it; the first
to ask verifies the signature and the result, or the failure, is kept on the request.
"""

from __future__ import annotations

from aiohttp import web

from app.auth import TokenVerifier, Viewer
from app.errors import UNAUTHENTICATED, ApiError
from app.graphql_request import RequestError

__all__ = ["viewer_of"]

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
    header = request.headers.get("Authorization")
    if not header:
        return False  # anonymous (a stored None would read as "not verified yet")
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
