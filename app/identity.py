"""The identity stage: the caller of a request, from its bearer token.

Every transport names its caller the same way: an HTTP request (POST, GET, multipart) by
its ``Authorization`` header, verified once per request (the rate limiter and the endpoint
both ask; the first verifies and the outcome, or the failure, is kept on the request); a
WebSocket or SSE connection by that header or the ``Authorization`` entry of its
``connection_init`` payload, through ``identify``, which also keeps the token's expiry (a
connection must end when its token does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from app.auth import TokenVerifier, Viewer
from app.errors import UNAUTHENTICATED, ApiError
from app.protocol import RequestError

__all__ = [
    "Identity",
    "MissingCredentials",
    "authorization_in",
    "identify",
    "viewer_from_authorization",
    "viewer_of",
]

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


# Connections (WebSocket, SSE) outlive a request: they keep the token's expiry too.


class MissingCredentials(Exception):
    """No Authorization at all (WebSocket: close 4401; SSE: 401)."""


@dataclass(frozen=True, slots=True)
class Identity:
    viewer: Viewer
    expires_at: float  # epoch seconds


def authorization_in(payload: Mapping[str, Any]) -> str | None:
    """``Authorization`` from a connection_init payload, as Apollo and graphql-ws send it.

    Accepts the key in any case, and also a nested ``headers`` object; a non-string value
    counts as present (and then fails verification), so it is never silently ignored.
    """
    for source in (payload, payload.get("headers")):
        if not isinstance(source, Mapping):
            continue
        for key, value in source.items():
            if isinstance(key, str) and key.lower() == "authorization":
                return value if isinstance(value, str) else ""
    return None


def identify(verifier: TokenVerifier, authorization: str | None) -> Identity:
    """Verify ``Authorization: Bearer <token>``.

    Raises MissingCredentials when there is none, ApiError(UNAUTHENTICATED) when it is
    malformed, invalid or expired.
    """
    if authorization is None:
        raise MissingCredentials
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(_HEADER_ERROR, UNAUTHENTICATED)
    viewer, expires_at = verifier.verify_until(token.strip())
    return Identity(viewer, expires_at)
