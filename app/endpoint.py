"""The HTTP endpoint ``/graphql``: POST and GET through the pipeline, one answer per request.

Follows GraphQL over HTTP: POST (JSON or application/graphql) and GET (queries only);
``application/graphql-response+json`` when the client accepts it; an unusable HTTP request
(bad body, missing query) is 4xx, a GraphQL request error (parse, validation, coercion) is
200 for application/json and 400 for graphql-response+json, both with a GraphQL-shaped
body. Requests a browser could send cross-site without a preflight, carrying a credential
it could forge, are refused (app.csrf); a JSON array body is a
batch whose operations run one after another, each on its own, answered as an array.
"""

from __future__ import annotations

import logging
import time

import orjson
from aiohttp import web

from app.auth import Viewer
from app.csrf import MSG_CSRF, is_csrf_risk
from app.encoding import (
    api_error_body,
    error_body,
    error_response,
    media_type_for,
    request_error_body,
    request_error_status,
    result_response,
    with_request_id,
)
from app.errors import CSRF_BLOCKED, INTERNAL_SERVER_ERROR, ApiError
from app.graphiql import graphiql_page, wants_graphiql
from app.graphql_errors import MSG_INTERNAL
from app.idempotency import HEADER as IDEMPOTENCY_HEADER
from app.idempotency import REPLAYED_HEADER, parse_key
from app.identity import viewer_of
from app.metrics import METRICS
from app.pipeline import Served, run_operation
from app.protocol import Operation, RequestError
from app.request_id import REQUEST_ID_HEADER, request_id_of
from app.resources import FILE_STORE, SETTINGS, TOKEN_VERIFIER
from app.transport.http import parse_operations
from app.transport.multipart import UploadOptions

__all__ = [
    "EXECUTION_PATH_HEADER",
    "REQUEST_ID_HEADER",
    "ROUND_TRIPS_HEADER",
    "graphql_handler",
    "request_id_of",
]

log = logging.getLogger("vanta.http")

ROUND_TRIPS_HEADER = "X-DB-Round-Trips"
EXECUTION_PATH_HEADER = "X-Execution-Path"  # fast | stock, with VANTA_DEBUG=1


async def graphql_handler(request: web.Request) -> web.StreamResponse:
    started = time.perf_counter()
    request_id = request_id_of(request)
    media_type = media_type_for(request)
    round_trips: int | None = None
    try:
        if wants_graphiql(request):
            return await graphiql_page(request)
        if is_csrf_risk(request):
            raise RequestError(400, MSG_CSRF, CSRF_BLOCKED)
        viewer = viewer_of(request, request.app[TOKEN_VERIFIER])
        settings = request.app[SETTINGS]
        operations, batched = await parse_operations(
            request, settings.max_batch_operations, _uploads(request)
        )
        key = (
            parse_key(request.headers.get(IDEMPOTENCY_HEADER)) if request.method == "POST" else None
        )
        if batched:
            bodies, round_trips = await _serve_batch(request, operations, viewer, request_id, key)
            headers = _debug_headers(request, round_trips)
            response = result_response(bodies, 200, media_type, request_id, headers)
        else:
            served = await _serve(request, operations[0], viewer, request_id, key)
            round_trips = served.round_trips
            headers = {"X-Cache": served.cache.value, "Cache-Control": served.cache_control}
            if served.replayed:
                headers[REPLAYED_HEADER] = "true"
            headers.update(_debug_headers(request, served.round_trips))
            if served.path is not None and settings.debug:
                headers[EXECUTION_PATH_HEADER] = served.path
            response = result_response(served.body, served.status, media_type, request_id, headers)
    except RequestError as error:
        body = request_error_body(error)
        response = error_response(body, error.status, media_type, request_id, error.headers)
    except ApiError as error:  # authentication failed
        body = api_error_body(error)
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        response = error_response(body, 401, media_type, request_id, headers)
    except Exception:
        log.exception("unexpected error outside execution (request %s)", request_id)
        body = error_body(MSG_INTERNAL, INTERNAL_SERVER_ERROR, requestId=request_id)
        response = error_response(body, 500, media_type, request_id)
    request.app[METRICS].observe(response.status, time.perf_counter() - started, round_trips)
    return response


async def _serve(
    request: web.Request,
    operation: Operation,
    viewer: Viewer | None,
    request_id: str,
    idempotency_key: str | None = None,
    *,
    batched: bool = False,
) -> Served:
    return await run_operation(
        request.app,
        operation,
        viewer,
        request_id,
        allow_mutations=request.method == "POST",
        http_cacheable=request.method == "GET",
        request=request,
        idempotency_key=idempotency_key,
        batched=batched,
        request_error_status=request_error_status(media_type_for(request)),
    )


async def _serve_batch(
    request: web.Request,
    operations: list[Operation],
    viewer: Viewer | None,
    request_id: str,
    idempotency_key: str | None,
) -> tuple[bytes, int]:
    """Each operation on its own (own loaders, cache lookup, timeout and errors): a JSON array."""
    bodies: list[bytes] = []
    round_trips = 0
    for operation in operations:
        try:
            served = await _serve(
                request, operation, viewer, request_id, idempotency_key, batched=True
            )
        except RequestError as error:
            bodies.append(orjson.dumps(with_request_id(request_error_body(error), request_id)))
            continue
        bodies.append(served.body)
        round_trips += served.round_trips
    return b"[" + b",".join(bodies) + b"]", round_trips


def _debug_headers(request: web.Request, round_trips: int) -> dict[str, str]:
    if request.app[SETTINGS].debug:
        return {ROUND_TRIPS_HEADER: str(round_trips)}
    return {}


def _uploads(request: web.Request) -> UploadOptions:
    settings = request.app[SETTINGS]
    return UploadOptions(
        request.app[FILE_STORE], settings.max_upload_bytes, settings.max_body_bytes
    )
