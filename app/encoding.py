"""The encoding stage: every answer and every refusal leaves through these two functions.

``result_response`` sends a body the pipeline produced (executed or from the cache);
``error_response`` builds the GraphQL-shaped body of an error that stopped a request
before execution (bad HTTP, authentication, rate limit, persisted query, internal). Both
set the media type the client accepts, the request id and ``Vary: Authorization``.
Every error of an error answer carries ``extensions.requestId`` (the ``X-Request-Id``), so
a user can quote it and an operator find the log line.

GraphQL over HTTP gives request errors (parse, validation, variable coercion, unknown
operation: nothing executed) two statuses: 200 for ``application/json`` (the legacy media
type, whose clients read the body whatever the status) and 4xx for
``application/graphql-response+json``. ``request_error_status`` decides it here, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

from app.errors import ApiError
from app.protocol import RequestError
from app.request_id import REQUEST_ID_HEADER

__all__ = [
    "GRAPHQL_RESPONSE_JSON",
    "JSON",
    "NO_STORE",
    "REQUEST_ID_HEADER",
    "api_error_body",
    "error_body",
    "error_response",
    "media_type_for",
    "request_error_body",
    "request_error_status",
    "result_response",
    "with_request_id",
]

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
NO_STORE = "no-store"


def media_type_for(request: web.Request) -> str:
    """``application/graphql-response+json`` when the client accepts it, else JSON."""
    accept = request.headers.get("Accept", "")
    return GRAPHQL_RESPONSE_JSON if GRAPHQL_RESPONSE_JSON in accept else JSON


def request_error_status(media_type: str) -> int:
    """The status of a GraphQL request error answered in ``media_type``."""
    return 400 if media_type == GRAPHQL_RESPONSE_JSON else 200


def with_request_id(body: dict[str, Any], request_id: str) -> dict[str, Any]:
    """``body`` with ``extensions.requestId`` on each of its errors (set in place)."""
    for error in body.get("errors") or ():
        if isinstance(error, dict):
            extensions = error.setdefault("extensions", {})
            extensions.setdefault("requestId", request_id)
    return body


def error_body(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    """``{"errors": [{"message", "extensions": {"code", ...}}]}``: one error, stable code."""
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}


def request_error_body(error: RequestError) -> dict[str, Any]:
    return error_body(error.message, error.code)


def api_error_body(error: ApiError) -> dict[str, Any]:
    """An ApiError (authentication, a refused document) as the whole answer."""
    return {"errors": [{"message": error.message, "extensions": dict(error.extensions)}]}


def error_response(
    body: dict[str, Any],
    status: int,
    media_type: str,
    request_id: str,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """An error answer; never stored by HTTP caches (a shared cache keeping a GET's
    PERSISTED_QUERY_NOT_FOUND would stop that client from ever registering its query)."""
    all_headers = {"Cache-Control": NO_STORE, **(headers or {})}
    body = with_request_id(body, request_id)
    return result_response(orjson.dumps(body), status, media_type, request_id, all_headers)


def result_response(
    body: bytes,
    status: int,
    media_type: str,
    request_id: str,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    response = web.Response(body=body, status=status, content_type=media_type)
    response.headers[REQUEST_ID_HEADER] = request_id
    # The answer depends on the token: a browser cache must not hand one token's GET
    # response to a request made with another (same URL, different Authorization).
    response.headers["Vary"] = "Authorization"
    if headers:
        response.headers.update(headers)
    return response
