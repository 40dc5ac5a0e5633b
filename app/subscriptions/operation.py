"""One subscription operation: its own Context, our document checks, masked errors.

Strawberry's protocol handlers call ``schema.stream`` with one context per connection.
``StreamSchema`` stands in for the schema there: it gives every operation a Context of
its own (loaders renewed per event by the resolver), runs the document through the same
admission (trusted documents, APQ) and prepared-document stages (prechecks, one parse and
validation per document) as HTTP, admits subscriptions only (queries and mutations go
through the HTTP pipeline with its cache and limits), and shapes every error like the
HTTP path does (stable codes, internals masked behind the request id).
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from graphql import GraphQLError
from graphql import OperationType as GraphQLOperationType
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType

from app.admission import admit
from app.auth import Viewer
from app.db.session import DbSession
from app.documents.prepared import PreparedDocument
from app.errors import BAD_REQUEST, OPERATION_RESOLUTION_FAILURE
from app.graphql_errors import format_error
from app.protocol import Operation, RequestError
from app.request_id import request_id_of
from app.resources import (
    DB_POOL,
    DOCUMENTS,
    EVENT_HUB,
    METADATA,
    PERSISTED_QUERIES,
    SCHEMA,
    SETTINGS,
    TRUSTED_DOCUMENTS,
)
from loaders.factory import Loaders, create_loaders
from schema.subscription_context import SubscriptionContext

__all__ = ["ConnectionState", "StreamSchema"]

MSG_QUERY_REQUIRED = "A subscription needs a 'query' string."
MSG_SUBSCRIPTIONS_ONLY = (
    "Only subscriptions run over this transport; send queries and mutations over HTTP."
)

_SUBSCRIPTION_ONLY = (OperationType.SUBSCRIPTION,)


@dataclass(slots=True)
class ConnectionState:
    """What Strawberry calls the context of a connection: who is on it, until when."""

    request: web.Request
    transport: str  # "ws" | "sse"
    viewer: Viewer | None = None
    expires_at: float = math.inf
    subject: str | None = None  # the subject whose connection slot this holds
    connection_params: dict[str, Any] | None = field(default=None)


class StreamSchema:
    """The ``schema`` Strawberry's WebSocket and SSE code sees (only ``stream`` is used)."""

    def __init__(self, app: web.Application) -> None:
        self._app = app

    @property
    def config(self) -> Any:
        """The real schema's config (Strawberry reads its batching setting)."""
        return self._app[SCHEMA].config

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
    ) -> AsyncGenerator[ExecutionResult, None]:
        assert isinstance(context_value, ConnectionState)
        context = self._context(context_value)
        if not isinstance(query, str) and not operation_extensions:
            return _single_error(MSG_QUERY_REQUIRED, BAD_REQUEST)
        app = self._app
        operation = Operation(
            query if isinstance(query, str) else None,
            variable_values,
            operation_name,
            operation_extensions,
        )
        try:  # the stages every transport shares: admission, then the prepared document
            admitted = await admit(operation, app[PERSISTED_QUERIES], app.get(TRUSTED_DOCUMENTS))
        except RequestError as error:
            return _single_error(error.message, error.code)
        query = admitted.operation.query
        if not query:
            return _single_error(MSG_QUERY_REQUIRED, BAD_REQUEST)
        prepared = await app[DOCUMENTS].prepare_async(query)
        await admitted.register_if_valid(prepared)
        refused = _refused(prepared, operation_name, context.request_id)
        if refused is not None:
            return refused
        context.prepared_document = prepared.document
        source = await app[SCHEMA].stream(
            query,
            variable_values=variable_values,
            context_value=context,
            root_value=root_value,
            operation_name=operation_name,
            operation_extensions=operation_extensions,
            allowed_operation_types=_SUBSCRIPTION_ONLY,
        )
        return _masked(source, context.request_id)

    def _context(self, state: ConnectionState) -> SubscriptionContext:
        """A query's Context for this operation (fresh DbSession, loaders, request id)."""
        app = self._app
        settings = app[SETTINGS]
        db = DbSession(app[DB_POOL], settings.db_acquire_timeout_seconds)
        metadata = app[METADATA].bind(db)
        viewer = state.viewer

        def make_loaders() -> Loaders:
            return create_loaders(db, viewer, batching=settings.loaders_enabled, metadata=metadata)

        return SubscriptionContext(
            request=state.request,
            settings=settings,
            db=db,
            pool=app[DB_POOL],
            loaders=make_loaders(),
            viewer=viewer,
            request_id=request_id_of(state.request),
            metadata_store=metadata,
            loader_factory=make_loaders,
            hub=app[EVENT_HUB],
            expires_at=state.expires_at,
        )


def _refused(
    prepared: PreparedDocument, name: str | None, request_id: str
) -> AsyncGenerator[ExecutionResult, None] | None:
    """The answer to a document that cannot run here, as HTTP would give it; None to go on."""
    if prepared.refusal is not None:
        return _single_error(prepared.refusal.message, prepared.refusal.code)
    if prepared.syntax_error is not None:
        return _errors([prepared.syntax_error], request_id)
    found = prepared.operation(name)
    if found is None:
        reason = CannotGetOperationTypeError(name).as_http_error_reason()
        return _single_error(reason, OPERATION_RESOLUTION_FAILURE)
    if found.type is not GraphQLOperationType.SUBSCRIPTION:
        return _single_error(MSG_SUBSCRIPTIONS_ONLY, BAD_REQUEST)
    if prepared.validation_errors:
        return _errors(prepared.validation_errors, request_id)
    return None


async def _errors(
    errors: list[GraphQLError], request_id: str
) -> AsyncGenerator[ExecutionResult, None]:
    yield PreExecutionError(data=None, errors=[_shaped(error, request_id) for error in errors])


async def _single_error(message: str, code: str) -> AsyncGenerator[ExecutionResult, None]:
    yield PreExecutionError(data=None, errors=[GraphQLError(message, extensions={"code": code})])


async def _masked(
    source: AsyncGenerator[Any, None], request_id: str
) -> AsyncGenerator[ExecutionResult, None]:
    """``source`` with every error in our shape; closing it closes ``source``."""
    first = True
    try:
        async for result in source:
            if getattr(result, "errors", None):
                result.errors = [_shaped(error, request_id) for error in result.errors]
            first = False
            yield result
    except Exception as error:  # Strawberry's stream lets parse errors escape
        graphql_error = (
            error
            if isinstance(error, GraphQLError)
            else GraphQLError(str(error), original_error=error)
        )
        errors = [_shaped(graphql_error, request_id)]
        if first:
            yield PreExecutionError(data=None, errors=errors)
        else:
            yield ExecutionResult(data=None, errors=errors)
    finally:
        await source.aclose()


def _shaped(error: GraphQLError, request_id: str) -> GraphQLError:
    """A GraphQLError whose ``formatted`` is what the HTTP path would answer."""
    original = error.original_error
    if isinstance(original, InvalidOperationTypeError):
        return GraphQLError(MSG_SUBSCRIPTIONS_ONLY, extensions={"code": BAD_REQUEST})
    if isinstance(original, CannotGetOperationTypeError):
        reason = original.as_http_error_reason()
        return GraphQLError(reason, extensions={"code": OPERATION_RESOLUTION_FAILURE})
    shaped = format_error(error, request_id)
    return GraphQLError(
        shaped["message"],
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=shaped["extensions"],
    )
