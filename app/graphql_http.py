"""The one place GraphQL requests enter: HTTP parsing, auth, context, execution, response.

Follows GraphQL over HTTP: POST (JSON or application/graphql) and GET (queries only);
``application/graphql-response+json`` when the client accepts it; request errors (bad
body, parse or validation failure) are 4xx with a GraphQL-shaped body. Requests a browser
could send cross-site without a preflight are refused (app.csrf); a JSON array body is a
batch whose operations run one after another, each on its own, answered as an array.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from aiohttp import web
from strawberry.http.ides import get_graphql_ide_html

from app.auth import Viewer
from app.bearer import viewer_of
from app.csrf import MSG_CSRF, is_csrf_risk
from app.errors import (
    CSRF_BLOCKED,
    INTERNAL_SERVER_ERROR,
    ApiError,
)
from app.graphql_errors import MSG_INTERNAL
from app.graphql_request import GraphQLRequest, RequestError, parse_operations
from app.keys import PERSISTED_QUERIES, SETTINGS, TOKEN_VERIFIER, TRUSTED_DOCUMENTS
from app.metrics import METRICS
from app.request_id import REQUEST_ID_HEADER, request_id_of
from app.serving import NO_STORE, Served, serve

__all__ = [
    "EXECUTION_PATH_HEADER",
    "REQUEST_ID_HEADER",
    "ROUND_TRIPS_HEADER",
    "graphql_handler",
    "request_id_of",
]

log = logging.getLogger("vanta.http")

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
ROUND_TRIPS_HEADER = "X-DB-Round-Trips"
EXECUTION_PATH_HEADER = "X-Execution-Path"  # fast | stock, with VANTA_DEBUG=1


async def graphql_handler(request: web.Request) -> web.StreamResponse:
    started = time.perf_counter()
    request_id = request_id_of(request)
    media_type = _response_media_type(request)
    round_trips: int | None = None
    try:
        if request.method == "GET" and _wants_ide(request):
            return web.Response(text=get_graphql_ide_html("graphiql"), content_type="text/html")
        if is_csrf_risk(request):
            raise RequestError(400, MSG_CSRF, CSRF_BLOCKED)
        viewer = _authenticate(request)
        settings = request.app[SETTINGS]
        operations, batched = await parse_operations(request, settings.max_batch_operations)
        if batched:
            bodies, round_trips = await _serve_batch(request, operations, viewer, request_id)
            headers = _debug_headers(request, round_trips)
            response = _respond_bytes(bodies, 200, media_type, request_id, headers)
        else:
            served = await _serve_one(request, operations[0], viewer, request_id)
            round_trips = served.round_trips
            headers = {"X-Cache": served.cache.value, "Cache-Control": served.cache_control}
            headers.update(_debug_headers(request, served.round_trips))
            if served.path is not None and request.app[SETTINGS].debug:
                headers[EXECUTION_PATH_HEADER] = served.path
            response = _respond_bytes(served.body, served.status, media_type, request_id, headers)
    except RequestError as error:
        response = _respond(_error_body(error), error.status, media_type, request_id, error.headers)
    except ApiError as error:  # authentication failed
        body = {"errors": [{"message": error.message, "extensions": error.extensions}]}
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        response = _respond(body, 401, media_type, request_id, headers)
    except Exception:
        log.exception("unexpected error outside execution (request %s)", request_id)
        body = {
            "errors": [
                {
                    "message": MSG_INTERNAL,
                    "extensions": {"code": INTERNAL_SERVER_ERROR, "requestId": request_id},
                }
            ]
        }
        response = _respond(body, 500, media_type, request_id)
    request.app[METRICS].observe(response.status, time.perf_counter() - started, round_trips)
    return response


async def _serve_one(
    request: web.Request, operation: GraphQLRequest, viewer: Viewer | None, request_id: str
) -> Served:
    """Persisted-query lookup, then the cache or execution; registers an APQ hash that validated."""
    operation, register_as = await _resolve_persisted(request.app, operation)
    served = await serve(request, operation, viewer, request_id)
    if register_as is not None and served.status != 400:
        assert operation.query is not None
        await request.app[PERSISTED_QUERIES].register(register_as, operation.query)
    return served


async def _serve_batch(
    request: web.Request, operations: list[GraphQLRequest], viewer: Viewer | None, request_id: str
) -> tuple[bytes, int]:
    """Each operation on its own (own loaders, cache lookup, timeout and errors): a JSON array."""
    bodies: list[bytes] = []
    round_trips = 0
    for operation in operations:
        try:
            served = await _serve_one(request, operation, viewer, request_id)
        except RequestError as error:
            bodies.append(orjson.dumps(_error_body(error)))
            continue
        bodies.append(served.body)
        round_trips += served.round_trips
    return b"[" + b",".join(bodies) + b"]", round_trips


def _error_body(error: RequestError) -> dict[str, Any]:
    return {"errors": [{"message": error.message, "extensions": {"code": error.code}}]}


def _debug_headers(request: web.Request, round_trips: int) -> dict[str, str]:
    if request.app[SETTINGS].debug:
        return {ROUND_TRIPS_HEADER: str(round_trips)}
    return {}


async def _resolve_persisted(
    app: web.Application, graphql_request: GraphQLRequest
) -> tuple[GraphQLRequest, str | None]:
    """The query text behind a persisted-query hash, and the hash to register, if any."""
    trusted = app.get(TRUSTED_DOCUMENTS)
    if trusted is not None:
        return trusted.resolve(graphql_request), None
    return await app[PERSISTED_QUERIES].resolve(graphql_request)


def _respond(
    body: Any,
    status: int,
    media_type: str,
    request_id: str,
    headers: dict[str, str] | None = None,
) -> web.Response:
    # An error is never stored by HTTP caches: a shared cache keeping a GET's
    # PERSISTED_QUERY_NOT_FOUND would stop that client from ever registering its query.
    all_headers = {"Cache-Control": NO_STORE, **(headers or {})}
    return _respond_bytes(orjson.dumps(body), status, media_type, request_id, all_headers)


def _respond_bytes(
    body: bytes,
    status: int,
    media_type: str,
    request_id: str,
    headers: dict[str, str] | None = None,
) -> web.Response:
    response = web.Response(body=body, status=status, content_type=media_type)
    response.headers[REQUEST_ID_HEADER] = request_id
    # The answer depends on the token: a browser cache must not hand one token's GET
    # response to a request made with another (same URL, different Authorization).
    response.headers["Vary"] = "Authorization"
    if headers:
        response.headers.update(headers)
    return response


def _response_media_type(request: web.Request) -> str:
    accept = request.headers.get("Accept", "")
    return GRAPHQL_RESPONSE_JSON if GRAPHQL_RESPONSE_JSON in accept else JSON


def _wants_ide(request: web.Request) -> bool:
    return "query" not in request.query and "text/html" in request.headers.get("Accept", "")


def _authenticate(request: web.Request) -> Viewer | None:
    return viewer_of(request, request.app[TOKEN_VERIFIER])
