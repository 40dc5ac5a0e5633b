"""The HTTP transport: GET parameters, a JSON body (one operation or a batch array) or
application/graphql, decoded to ``Operation``s (multipart uploads: app.transport.multipart)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from app.errors import (
    BAD_REQUEST,
    BATCH_TOO_LARGE,
    METHOD_NOT_ALLOWED,
    PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
)
from app.protocol import Operation, RequestError
from app.transport.multipart import UploadOptions, read_multipart

__all__ = ["parse_operations", "parse_request"]


async def parse_request(request: web.Request) -> Operation:
    """The one operation the client sent; RequestError (4xx) for an unusable request or a batch."""
    operations, batched = await parse_operations(request, max_batch=1)
    if batched:
        raise RequestError(400, "Batched operations are not supported.", BAD_REQUEST)
    return operations[0]


async def parse_operations(
    request: web.Request, max_batch: int, uploads: UploadOptions | None = None
) -> tuple[list[Operation], bool]:
    """The operations the client sent and whether they came as a batch (a JSON array body).

    A batch holds 1..``max_batch`` objects, each an operation of its own; more is
    BATCH_TOO_LARGE. With ``uploads``, multipart/form-data bodies (GraphQL multipart
    request spec) are accepted too. RequestError (4xx) when the HTTP request is unusable.
    """
    payload = await _payload(request, uploads)
    if isinstance(payload, Operation):
        return [payload], False
    if isinstance(payload, list):
        if not payload:
            raise RequestError(400, "A batch must hold at least one operation.", BAD_REQUEST)
        if len(payload) > max_batch:
            raise RequestError(
                400,
                f"A batch may hold at most {max_batch} operations, got {len(payload)}.",
                BATCH_TOO_LARGE,
            )
        if not all(isinstance(item, dict) for item in payload):
            raise RequestError(400, "Every operation in a batch must be an object.", BAD_REQUEST)
        return [_operation(item) for item in payload], True
    if not isinstance(payload, dict):
        raise RequestError(400, "The request body must be a JSON object.", BAD_REQUEST)
    return [_operation(payload)], False


async def _payload(request: web.Request, uploads: UploadOptions | None = None) -> Operation | Any:
    """An Operation for GET and application/graphql, else the decoded JSON body."""
    if request.method == "GET":
        params = request.query
        return _operation(
            {
                "query": params.get("query"),
                "variables": _json_param(params.get("variables"), "variables"),
                "operationName": params.get("operationName"),
                "extensions": _json_param(params.get("extensions"), "extensions"),
            }
        )
    if request.method != "POST":
        raise RequestError(
            405, "GraphQL accepts GET and POST only.", METHOD_NOT_ALLOWED, {"Allow": "GET, POST"}
        )
    if uploads is not None and request.content_type == "multipart/form-data":
        return await read_multipart(request, uploads)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise RequestError(413, "Request body is too large.", PAYLOAD_TOO_LARGE) from None
    content_type = request.content_type
    if content_type == "application/graphql":
        return Operation(raw.decode("utf-8", "replace"), None, None, None)
    if content_type != "application/json":
        raise RequestError(415, "Send the request as application/json.", UNSUPPORTED_MEDIA_TYPE)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RequestError(400, "The request body is not valid JSON.", BAD_REQUEST) from None


def _json_param(raw: str | None, name: str) -> Any:
    if raw is None or raw == "":
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RequestError(400, f"The '{name}' parameter is not valid JSON.", BAD_REQUEST) from None


def _operation(payload: dict[str, Any]) -> Operation:
    query = payload.get("query")
    variables = payload.get("variables")
    operation_name = payload.get("operationName")
    extensions = payload.get("extensions")
    if query is not None and not isinstance(query, str):
        raise RequestError(400, "'query' must be a string.", BAD_REQUEST)
    if variables is not None and not isinstance(variables, dict):
        raise RequestError(400, "'variables' must be an object.", BAD_REQUEST)
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(400, "'operationName' must be a string.", BAD_REQUEST)
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestError(400, "'extensions' must be an object.", BAD_REQUEST)
    return Operation(query, variables, operation_name, extensions)
