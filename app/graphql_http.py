"""The one place GraphQL requests enter: HTTP parsing, auth, context, execution, response.

Follows GraphQL over HTTP: POST (JSON or application/graphql) and GET (queries only);
``application/graphql-response+json`` when the client accepts it; request errors (bad
body, parse or validation failure) are 4xx with a GraphQL-shaped body.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web
from strawberry.exceptions import MissingQueryError
from strawberry.http.ides import get_graphql_ide_html
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from app.auth import Viewer, decode_token
from app.db.session import DbSession
from app.errors import (
    BAD_REQUEST,
    INTERNAL_SERVER_ERROR,
    METHOD_NOT_ALLOWED,
    OPERATION_RESOLUTION_FAILURE,
    PAYLOAD_TOO_LARGE,
    UNAUTHENTICATED,
    UNSUPPORTED_MEDIA_TYPE,
    ApiError,
)
from app.graphql_errors import MSG_INTERNAL, format_errors
from app.keys import DB_POOL, JWT_SECRET, SCHEMA, SETTINGS
from app.metrics import METRICS
from loaders.factory import create_loaders
from schema.context import Context

__all__ = ["REQUEST_ID_HEADER", "ROUND_TRIPS_HEADER", "graphql_handler", "request_id_of"]

log = logging.getLogger("vanta.http")

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
ROUND_TRIPS_HEADER = "X-DB-Round-Trips"
REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_QUERY_AND_MUTATION = frozenset({OperationType.QUERY, OperationType.MUTATION})
_QUERY_ONLY = frozenset({OperationType.QUERY})


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


class RequestError(Exception):
    """A request that cannot be executed at all; becomes a 4xx GraphQL-shaped response."""

    def __init__(self, status: int, message: str, code: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


def request_id_of(request: web.Request) -> str:
    """The caller's X-Request-Id when it is sane, else a new one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


async def graphql_handler(request: web.Request) -> web.StreamResponse:
    started = time.perf_counter()
    request_id = request_id_of(request)
    media_type = _response_media_type(request)
    db: DbSession | None = None
    try:
        if request.method == "GET" and _wants_ide(request):
            return web.Response(text=get_graphql_ide_html("graphiql"), content_type="text/html")
        viewer = _authenticate(request)
        graphql_request = await _parse_request(request)
        db = DbSession(request.app[DB_POOL])
        response = await _execute(request, db, graphql_request, viewer, request_id, media_type)
    except RequestError as error:
        body = {"errors": [{"message": error.message, "extensions": {"code": error.code}}]}
        response = _respond(body, error.status, media_type, request_id, error.headers)
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
    request.app[METRICS].observe(
        response.status, time.perf_counter() - started, db.round_trips if db else None
    )
    return response


async def _execute(
    request: web.Request,
    db: DbSession,
    graphql_request: GraphQLRequest,
    viewer: Viewer | None,
    request_id: str,
    media_type: str,
) -> web.StreamResponse:
    app = request.app
    settings = app[SETTINGS]
    context = Context(
        request=request,
        settings=settings,
        db=db,
        pool=app[DB_POOL],
        loaders=create_loaders(db, viewer, batching=settings.loaders_enabled),
        viewer=viewer,
        request_id=request_id,
    )
    allowed = _QUERY_ONLY if request.method == "GET" else _QUERY_AND_MUTATION
    try:
        result = await app[SCHEMA].execute(
            graphql_request.query,
            variable_values=graphql_request.variables,
            context_value=context,
            operation_name=graphql_request.operation_name,
            allowed_operation_types=allowed,
        )
    except MissingQueryError:
        raise RequestError(400, "No GraphQL query found in the request.", BAD_REQUEST) from None
    except InvalidOperationTypeError:
        raise RequestError(
            405,
            "Mutations are only allowed over POST.",
            METHOD_NOT_ALLOWED,
            {"Allow": "POST"},
        ) from None
    except CannotGetOperationTypeError as error:
        raise RequestError(
            400, error.as_http_error_reason(), OPERATION_RESOLUTION_FAILURE
        ) from None

    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = format_errors(result.errors, request_id)
    # A request error (parse, validation, variable coercion) never started execution: the
    # spec wants no "data" key then, and a 4xx status.
    request_error = isinstance(result, PreExecutionError) or (
        result.data is None and bool(result.errors) and all(e.path is None for e in result.errors)
    )
    if not request_error:
        body["data"] = result.data
    headers = {ROUND_TRIPS_HEADER: str(db.round_trips)} if settings.debug else None
    status = 400 if request_error else 200
    return _respond(body, status, media_type, request_id, headers)


def _respond(
    body: Any,
    status: int,
    media_type: str,
    request_id: str,
    headers: dict[str, str] | None = None,
) -> web.Response:
    response = web.Response(body=orjson.dumps(body), status=status, content_type=media_type)
    response.headers[REQUEST_ID_HEADER] = request_id
    if headers:
        response.headers.update(headers)
    return response


def _response_media_type(request: web.Request) -> str:
    accept = request.headers.get("Accept", "")
    return GRAPHQL_RESPONSE_JSON if GRAPHQL_RESPONSE_JSON in accept else JSON


def _wants_ide(request: web.Request) -> bool:
    return "query" not in request.query and "text/html" in request.headers.get("Accept", "")


def _authenticate(request: web.Request) -> Viewer | None:
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RequestError(
            401,
            "Authorization must be 'Bearer <token>'.",
            UNAUTHENTICATED,
            {"WWW-Authenticate": 'Bearer error="invalid_request"'},
        )
    return decode_token(request.app[JWT_SECRET], token.strip())


async def _parse_request(request: web.Request) -> GraphQLRequest:
    if request.method == "GET":
        params = request.query
        return _graphql_request(
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
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise RequestError(413, "Request body is too large.", PAYLOAD_TOO_LARGE) from None
    content_type = request.content_type
    if content_type == "application/graphql":
        return GraphQLRequest(raw.decode("utf-8", "replace"), None, None, None)
    if content_type != "application/json":
        raise RequestError(415, "Send the request as application/json.", UNSUPPORTED_MEDIA_TYPE)
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RequestError(400, "The request body is not valid JSON.", BAD_REQUEST) from None
    if isinstance(payload, list):
        raise RequestError(400, "Batched operations are not supported.", BAD_REQUEST)
    if not isinstance(payload, dict):
        raise RequestError(400, "The request body must be a JSON object.", BAD_REQUEST)
    return _graphql_request(payload)


def _json_param(raw: str | None, name: str) -> Any:
    if raw is None or raw == "":
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RequestError(400, f"The '{name}' parameter is not valid JSON.", BAD_REQUEST) from None


def _graphql_request(payload: dict[str, Any]) -> GraphQLRequest:
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
    return GraphQLRequest(query, variables, operation_name, extensions)
