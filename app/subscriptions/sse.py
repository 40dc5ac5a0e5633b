"""graphql-sse (distinct connections mode) on /graphql: POST with Accept: text/event-stream.

The token comes in the Authorization header only (no connection_init here): none or a bad
one is 401 before anything streams, like the HTTP path. Each stream is one subscription and
ends with ``event: complete`` (the token expired: an UNAUTHENTICATED error first).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from cross_web import HTTPException

from app.encoding import error_body, error_response, media_type_for
from app.errors import (
    BAD_REQUEST,
    MSG_UNAUTHENTICATED,
    TOO_MANY_CONNECTIONS,
    UNAUTHENTICATED,
    ApiError,
)
from app.identity import MissingCredentials, identify
from app.request_id import request_id_of
from app.resources import TOKEN_VERIFIER
from app.subscriptions.connections import REGISTRY
from app.subscriptions.operation import ConnectionState
from app.subscriptions.view import STREAM_VIEW

__all__ = ["sse_handler", "wants_event_stream"]

MSG_PROCESS_FULL = "This server holds its maximum of subscription connections; retry shortly."
MSG_TOKEN_FULL = "This token holds its maximum of {limit} subscription connections."
RETRY_AFTER_SECONDS = "5"


def wants_event_stream(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return any(
        part.split(";", 1)[0].strip().lower() == "text/event-stream" for part in accept.split(",")
    )


async def sse_handler(request: web.Request) -> web.StreamResponse:
    try:
        identity = identify(request.app[TOKEN_VERIFIER], request.headers.get("Authorization"))
    except MissingCredentials:
        return _error(
            request, 401, MSG_UNAUTHENTICATED, UNAUTHENTICATED, {"WWW-Authenticate": "Bearer"}
        )
    except ApiError as error:
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        return _error(request, 401, error.message, UNAUTHENTICATED, headers)
    registry = request.app[REGISTRY]
    if not registry.open("sse"):
        return _error(
            request,
            503,
            MSG_PROCESS_FULL,
            TOO_MANY_CONNECTIONS,
            {"Retry-After": RETRY_AFTER_SECONDS},
        )
    try:
        subject = identity.viewer.subject
        if not registry.claim(subject):
            message = MSG_TOKEN_FULL.format(limit=registry.max_per_subject)
            return _error(request, 429, message, TOO_MANY_CONNECTIONS)
        try:
            state = ConnectionState(
                request, "sse", identity.viewer, identity.expires_at, subject=subject
            )
            return await request.app[STREAM_VIEW].run(request, context=state)
        except HTTPException as error:  # an unusable body, before anything streamed
            return _error(request, error.status_code, str(error.reason), BAD_REQUEST)
        finally:
            registry.release(subject)
    finally:
        registry.close("sse")


def _error(
    request: web.Request,
    status: int,
    message: str,
    code: str,
    headers: dict[str, Any] | None = None,
) -> web.Response:
    """An answer before anything streamed: GraphQL-shaped, with the request id (app.encoding)."""
    body = error_body(message, code)
    return error_response(body, status, media_type_for(request), request_id_of(request), headers)
