"""The execution stage: run one prepared operation and shape its result.

The stages before it decide whether to execute at all (admission, cache); this module
decides how and what the client sees: a compiled plan (app.fastpath) when the operation
has one, else stock Strawberry execution over the prepared AST (no second parse or
validation). A plan that meets any error hands the whole request to stock execution, so
errors and paths are always stock's. The timeout bounds both.

A request error (over a precheck, parse, unknown operation, validation, variable coercion:
nothing executed) is an Outcome with errors, no ``data``, and the caller's
``request_error_status`` (200 or 400 by media type: app.encoding.request_error_status).
A subscription is refused with a message saying where it works: a single HTTP answer
cannot carry an event stream.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from graphql import OperationType
from strawberry import Schema
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType as StrawberryOperationType

from app.documents.precheck import budget_for
from app.documents.prepared import PreparedDocument, PreparedDocuments
from app.encoding import api_error_body, error_body, with_request_id
from app.errors import BAD_REQUEST, METHOD_NOT_ALLOWED, OPERATION_RESOLUTION_FAILURE, TIMEOUT
from app.fastpath import Fallback, execute_fast
from app.graphql_errors import format_errors
from app.protocol import Operation, RequestError
from schema.context import Context

__all__ = [
    "FAST",
    "MSG_GET_MUTATION",
    "MSG_SUBSCRIPTION",
    "MSG_TIMEOUT",
    "STOCK",
    "TIMEOUT_STATUS",
    "Outcome",
    "execute_operation",
    "execute_prepared",
]

log = logging.getLogger("vanta.execution")

MSG_GET_MUTATION = "Mutations are only allowed over POST."
MSG_SUBSCRIPTION = (
    "Subscriptions need WebSocket or SSE: connect to /graphql with the graphql-transport-ws "
    "protocol, or POST it with Accept: text/event-stream (graphql-sse)."
)
MSG_TIMEOUT = "The request took longer than {seconds:g} s and was stopped."
TIMEOUT_STATUS = 504
FAST = "fast"
STOCK = "stock"

_QUERY_AND_MUTATION = frozenset({OperationType.QUERY, OperationType.MUTATION})
_QUERY_ONLY = frozenset({OperationType.QUERY})
# The same sets as Strawberry spells them, for ``schema.execute``.
_STRAWBERRY_TYPES = {
    _QUERY_AND_MUTATION: frozenset(
        {StrawberryOperationType.QUERY, StrawberryOperationType.MUTATION}
    ),
    _QUERY_ONLY: frozenset({StrawberryOperationType.QUERY}),
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """The response body (errors shaped, internals masked), its HTTP status, and which
    execution path produced it (for the debug header)."""

    body: dict[str, Any]
    status: int
    path: str = STOCK  # FAST or STOCK


async def execute_operation(
    schema: Schema,
    operation: Operation,
    context: Context,
    *,
    allow_mutations: bool,
    timeout_seconds: float | None = None,
    documents: PreparedDocuments | None = None,
    request_error_status: int = 400,
) -> Outcome:
    """Prepare ``operation``'s document (in ``documents``, else a store of its own) and
    execute it: for callers outside the pipeline (tests, bench)."""
    if not operation.query:
        raise RequestError(400, "No GraphQL query found in the request.", BAD_REQUEST)
    if documents is None:
        budget = budget_for(context.settings)
        documents = PreparedDocuments(schema, max_bytes=1 << 20, default_ttl=60, budget=budget)
    prepared = documents.prepare(operation.query)
    return await execute_prepared(
        schema,
        prepared,
        operation,
        context,
        allow_mutations=allow_mutations,
        timeout_seconds=timeout_seconds,
        request_error_status=request_error_status,
    )


async def execute_prepared(
    schema: Schema,
    prepared: PreparedDocument,
    operation: Operation,
    context: Context,
    *,
    allow_mutations: bool,
    timeout_seconds: float | None = None,
    request_error_status: int = 400,
) -> Outcome:
    """Execute; RequestError (405) for a mutation the method does not allow.

    In the order stock execution checks them: syntax, operation lookup, operation type
    against the method, validation (query limits included); the run is bounded by
    ``timeout_seconds``, after which the client gets TIMEOUT (504).
    """
    request_id = context.request_id

    def request_error(body: dict[str, Any]) -> Outcome:
        return Outcome(with_request_id(body, request_id), request_error_status)

    if prepared.refusal is not None:  # over a precheck limit: never parsed
        return request_error(api_error_body(prepared.refusal))
    if prepared.syntax_error is not None:
        return request_error({"errors": format_errors([prepared.syntax_error], request_id)})
    name = operation.operation_name
    prepared_operation = prepared.operation(name)
    if prepared_operation is None:
        reason = CannotGetOperationTypeError(name).as_http_error_reason()
        return request_error(error_body(reason, OPERATION_RESOLUTION_FAILURE))
    if prepared_operation.type is OperationType.SUBSCRIPTION:
        return request_error(error_body(MSG_SUBSCRIPTION, BAD_REQUEST))
    allowed = _QUERY_AND_MUTATION if allow_mutations else _QUERY_ONLY
    if prepared_operation.type not in allowed:
        raise RequestError(405, MSG_GET_MUTATION, METHOD_NOT_ALLOWED, {"Allow": "POST"})
    if prepared.validation_errors:
        return request_error({"errors": format_errors(prepared.validation_errors, request_id)})
    try:
        async with asyncio.timeout(timeout_seconds):
            fast = prepared_operation.fast
            if fast is not None and context.settings.fastpath_enabled:
                body = await _try_fast(fast, operation, context)
                if body is not None:
                    return Outcome(body, 200, FAST)
            if isinstance(context, Context):
                context.prepared_document = prepared.document
            result = await schema.execute(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                operation_name=name,
                allowed_operation_types=_STRAWBERRY_TYPES[allowed],
            )
    except TimeoutError:
        log.warning("request %s stopped after %s s", request_id, timeout_seconds)
        message = MSG_TIMEOUT.format(seconds=timeout_seconds)
        return Outcome(error_body(message, TIMEOUT, requestId=request_id), TIMEOUT_STATUS)

    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = format_errors(result.errors, request_id)
    # A request error (variable coercion) never started execution: the spec wants no
    # "data" key then.
    coercion_failed = isinstance(result, PreExecutionError) or (
        result.data is None and bool(result.errors) and all(e.path is None for e in result.errors)
    )
    if coercion_failed:
        return Outcome(body, request_error_status)
    body["data"] = result.data
    return Outcome(body, 200)


async def _try_fast(fast: Any, operation: Operation, context: Context) -> dict[str, Any] | None:
    """The fast path's body, or None when stock execution must answer instead."""
    try:
        return await execute_fast(fast, operation.variables, context)
    except Exception as error:
        if not isinstance(error, Fallback):
            log.exception("fast path failed unexpectedly (request %s)", context.request_id)
        # Stock execution answers, with fresh loaders, exactly as if the fast path had
        # not been tried: no cached failure or half-used batch of the attempt leaks in.
        context.renew_loaders()
        return None
