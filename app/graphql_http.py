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
from typing import Any

import orjson
from aiohttp import web
from strawberry.http.ides import get_graphql_ide_html

from app.auth import Viewer, decode_token
from app.db.session import DbSession
from app.errors import (
    INTERNAL_SERVER_ERROR,
    UNAUTHENTICATED,
    ApiError,
)
from app.execution import execute_operation
from app.graphql_errors import MSG_INTERNAL
from app.graphql_request import GraphQLRequest, RequestError, parse_request
from app.keys import DB_POOL, JWT_SECRET, SCHEMA, SETTINGS
from app.metrics import METRICS
from loaders.factory import create_loaders
from schema.context import Context

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
REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


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
        graphql_request = await parse_request(request)
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
    outcome = await execute_operation(
        app[SCHEMA], graphql_request, context, allow_mutations=request.method == "POST"
    )
    headers = (
        {ROUND_TRIPS_HEADER: str(db.round_trips), EXECUTION_PATH_HEADER: outcome.path}
        if settings.debug
        else None
    )
    return _respond(outcome.body, outcome.status, media_type, request_id, headers)


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
