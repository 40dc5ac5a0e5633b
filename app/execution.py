"""Run one GraphQL operation and shape its result: the single place execution happens.

The HTTP layer decides whether to execute at all (cache, persisted queries, limits);
this module decides how (stock Strawberry execution today) and what the client sees.
Query limits are validation rules (``schema.query_rules``, ``schema.max_tokens``): a faster
executor put here must keep parsing and validating with them before it runs anything.
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

from app.errors import BAD_REQUEST, METHOD_NOT_ALLOWED, OPERATION_RESOLUTION_FAILURE, TIMEOUT
from app.graphql_errors import format_errors
from app.graphql_request import GraphQLRequest, RequestError
from schema.build import VantaSchema
from schema.context import Context

__all__ = ["MSG_TIMEOUT", "TIMEOUT_STATUS", "Outcome", "execute_operation"]

log = logging.getLogger("vanta.execution")

MSG_TIMEOUT = "The request took longer than {seconds:g} s and was stopped."
TIMEOUT_STATUS = 504

_QUERY_AND_MUTATION = frozenset({OperationType.QUERY, OperationType.MUTATION})
_QUERY_ONLY = frozenset({OperationType.QUERY})


@dataclass(frozen=True, slots=True)
class Outcome:
    """The response body (errors shaped, internals masked) and its HTTP status."""

    body: dict[str, Any]
    status: int


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
    try:
        async with asyncio.timeout(timeout_seconds):
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
