"""Who opens a subscription connection: a bearer token from a header or connection_init.

Both transports use the same TokenVerifier as HTTP requests; the token's expiry is kept,
because a connection outlives a request and must end when its token does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.auth import TokenVerifier, Viewer
from app.errors import UNAUTHENTICATED, ApiError

__all__ = ["Identity", "MissingCredentials", "authorization_in", "identify"]

MSG_BAD_SCHEME = "Authorization must be 'Bearer <token>'."


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
        raise ApiError(MSG_BAD_SCHEME, UNAUTHENTICATED)
    viewer, expires_at = verifier.verify_until(token.strip())
    return Identity(viewer, expires_at)
