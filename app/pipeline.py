"""One operation through the stages every transport shares, in one direction.

    transport (app.transport.*: decode to an Operation)
      → identity (app.identity: the viewer)
      → admission (app.ratelimit middleware; app.admission: persisted / trusted documents)
      → prepared document (app.documents.prepared: parse, validate, policy, plan; once)
      → cache (app.cached_execution: hit, or one execution per key)
      → execution (app.execution: fast path or stock, in app.request_context's Context)
      → encoding (app.encoding: the one way answers and errors leave)

Transports call ``run_operation`` with what they decoded and who the caller is; this module
only wires the stages together, none of them imports another's caller.
"""

from __future__ import annotations

import orjson
from aiohttp import web

from app.admission import admit
from app.auth import Viewer
from app.cache.policy import NOT_CACHEABLE
from app.cached_execution import Executed, Served, answer
from app.documents.prepared import PreparedDocument
from app.errors import BAD_REQUEST
from app.execution import execute_prepared
from app.protocol import Operation, RequestError
from app.request_context import request_context
from app.resources import (
    DB_POOL,
    DOCUMENTS,
    METADATA,
    PERSISTED_QUERIES,
    RESPONSE_CACHE,
    SCHEMA,
    SETTINGS,
    TRUSTED_DOCUMENTS,
)

__all__ = ["Served", "run_operation"]


async def run_operation(
    app: web.Application,
    operation: Operation,
    viewer: Viewer | None,
    request_id: str,
    *,
    allow_mutations: bool,
    http_cacheable: bool,
    request: web.Request | None = None,
) -> Served:
    """The answer to one operation; RequestError when it cannot be executed at all."""
    admitted = await admit(operation, app[PERSISTED_QUERIES], app.get(TRUSTED_DOCUMENTS))
    operation = admitted.operation
    if not operation.query:
        raise RequestError(400, "No GraphQL query found in the request.", BAD_REQUEST)
    prepared = await app[DOCUMENTS].prepare_async(operation.query)
    await admitted.register_if_valid(prepared)
    settings = app[SETTINGS]

    async def execute(for_cache: bool) -> Executed:
        context = request_context(
            settings,
            app[DB_POOL],
            app[METADATA],
            viewer,
            request_id,
            request=request,
            record_cache_tags=for_cache,
        )
        outcome = await execute_prepared(
            app[SCHEMA],
            prepared,
            operation,
            context,
            allow_mutations=allow_mutations,
            timeout_seconds=settings.request_timeout_seconds,
        )
        cacheable = outcome.status == 200 and "errors" not in outcome.body
        return Executed(
            orjson.dumps(outcome.body),
            outcome.status,
            cacheable,
            context.db.round_trips,
            outcome.path,
            context.cache_tags,
            context.invalidations,
        )

    return await answer(
        app[RESPONSE_CACHE],
        _policy(prepared, operation),
        prepared.digest,
        operation.operation_name,
        operation.variables,
        viewer,
        execute,
        http_cacheable=http_cacheable,
    )


def _policy(prepared: PreparedDocument, operation: Operation):  # type: ignore[no-untyped-def]
    if not prepared.valid:
        return NOT_CACHEABLE
    prepared_operation = prepared.operation(operation.operation_name)
    return NOT_CACHEABLE if prepared_operation is None else prepared_operation.policy
