"""Run one GraphQL operation and shape its result: the single place execution happens.

The HTTP layer decides whether to execute at all (cache, persisted queries, limits);
this module decides how and what the client sees: a compiled plan (app.fastpath) when
the query is supported, else stock Strawberry execution. A plan that meets any error
hands the whole request to stock execution, so errors and paths are always stock's.
Query limits are validation rules (``schema.query_rules``, ``schema.max_tokens``) that
both paths apply before anything runs; the timeout bounds both.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from app.documents.admission import admit_document
from app.errors import BAD_REQUEST, METHOD_NOT_ALLOWED, OPERATION_RESOLUTION_FAILURE, TIMEOUT
from app.fastpath import Fallback, execute_fast
from app.graphql_errors import format_errors
from app.graphql_request import GraphQLRequest, RequestError
from schema.build import VantaSchema
from schema.context import Context

__all__ = ["FAST", "MSG_TIMEOUT", "STOCK", "TIMEOUT_STATUS", "Outcome", "execute_operation"]

log = logging.getLogger("vanta.execution")

MSG_TIMEOUT = "The request took longer than {seconds:g} s and was stopped."
TIMEOUT_STATUS = 504
FAST = "fast"
STOCK = "stock"

_QUERY_AND_MUTATION = frozenset({OperationType.QUERY, OperationType.MUTATION})
_QUERY_ONLY = frozenset({OperationType.QUERY})


@dataclass(frozen=True, slots=True)
class Outcome:
    """The response body (errors shaped, internals masked), its HTTP status, and which
    execution path produced it (for the debug header)."""

    body: dict[str, Any]
    status: int
    path: str = STOCK  # FAST or STOCK


async def execute_operation(
    schema: VantaSchema,
    graphql_request: GraphQLRequest,
    context: Context,
    *,
    allow_mutations: bool,
    timeout_seconds: float | None = None,
) -> Outcome:
    """Execute; RequestError for what is not an operation at all (no query, wrong method).

    Parsing and validation (query limits included) finish before anything executes; the
    whole run is bounded by ``timeout_seconds``, after which the client gets TIMEOUT (504).
    """
    refused = admit_document(graphql_request.query, context.settings)  # bounds validation
    if refused is not None:
        return Outcome(
            {"errors": [{"message": refused.message, "extensions": refused.extensions}]}, 400
        )
    try:
        async with asyncio.timeout(timeout_seconds):
            if context.settings.fastpath_enabled:
                body = await _try_fast(schema, graphql_request, context)
                if body is not None:
                    return Outcome(body, 200, FAST)
            result = await schema.execute(
                graphql_request.query,
                variable_values=graphql_request.variables,
                context_value=context,
                operation_name=graphql_request.operation_name,
                allowed_operation_types=_QUERY_AND_MUTATION if allow_mutations else _QUERY_ONLY,
            )
    except TimeoutError:
        log.warning("request %s stopped after %s s", context.request_id, timeout_seconds)
        message = MSG_TIMEOUT.format(seconds=timeout_seconds)
        error = {
            "message": message,
            "extensions": {"code": TIMEOUT, "requestId": context.request_id},
        }
        return Outcome({"errors": [error]}, TIMEOUT_STATUS)
    except MissingQueryError:
        raise RequestError(400, "No GraphQL query found in the request.", BAD_REQUEST) from None
    except InvalidOperationTypeError:
        raise RequestError(
            405, "Mutations are only allowed over POST.", METHOD_NOT_ALLOWED, {"Allow": "POST"}
        ) from None
    except CannotGetOperationTypeError as error:
        raise RequestError(
            400, error.as_http_error_reason(), OPERATION_RESOLUTION_FAILURE
        ) from None

    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = format_errors(result.errors, context.request_id)
    # A request error (parse, validation, variable coercion) never started execution: the
    # spec wants no "data" key then, and a 4xx status.
    request_error = isinstance(result, PreExecutionError) or (
        result.data is None and bool(result.errors) and all(e.path is None for e in result.errors)
    )
    if request_error:
        return Outcome(body, 400)
    body["data"] = result.data
    return Outcome(body, 200)


async def _try_fast(
    schema: VantaSchema, graphql_request: GraphQLRequest, context: Context
) -> dict[str, Any] | None:
    """The fast path's body, or None when stock execution must answer instead."""
    try:
        return await execute_fast(schema, graphql_request, context)
    except Exception as error:
        if not isinstance(error, Fallback):
            log.exception("fast path failed unexpectedly (request %s)", context.request_id)
        # Stock execution answers, with fresh loaders, exactly as if the fast path had
        # not been tried: no cached failure or half-used batch of the attempt leaks in.
        context.renew_loaders()
        return None
