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
from graphql import OperationType

from app.admission import admit
from app.auth import Viewer
from app.cache.policy import NOT_CACHEABLE, CachePolicy
from app.cached_execution import Executed, Served, answer
from app.documents.prepared import PreparedDocument
from app.errors import BAD_REQUEST
from app.execution import execute_prepared
from app.idempotency import MSG_BATCH, Answer, request_digest, run_once
from app.protocol import Operation, RequestError
from app.request_context import request_context
from app.resources import (
    DB_POOL,
    DOCUMENTS,
    METADATA,
    PERSISTED_QUERIES,
    READ_ROUTER,
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
    idempotency_key: str | None = None,
    batched: bool = False,
    request_error_status: int = 400,
) -> Served:
    """The answer to one operation; RequestError when it cannot be executed at all.

    ``request_error_status`` is the status of a GraphQL request error (the encoding stage
    chooses it from the media type: app.encoding.request_error_status).

    ``idempotency_key`` (validated by the transport) applies to a mutation only; in a
    batch such a mutation is refused (the key names one request's one answer).
    """
    admitted = await admit(operation, app[PERSISTED_QUERIES], app.get(TRUSTED_DOCUMENTS))
    operation = admitted.operation
    if not operation.query:
        raise RequestError(400, "No GraphQL query found in the request.", BAD_REQUEST)
    prepared = await app[DOCUMENTS].prepare_async(operation.query)
    await admitted.register_if_valid(prepared)
    settings = app[SETTINGS]
    keyed_digest: bytes | None = None
    mutation = _is_mutation(prepared, operation)
    subject = None if viewer is None else viewer.subject
    router = app.get(READ_ROUTER)
    policy = _policy(prepared, operation)
    # Read your writes: a subject that just wrote reads from the primary, past the response
    # cache too (another user's miss may have stored what a lagging replica still showed).
    recent_write = router is not None and not mutation and await router.wrote_recently(subject)
    if recent_write:
        policy = NOT_CACHEABLE
    if idempotency_key is not None and mutation:
        if batched:
            raise RequestError(400, MSG_BATCH, BAD_REQUEST)
        keyed_digest = request_digest(
            prepared.digest, operation.operation_name, operation.variables
        )

    async def execute(for_cache: bool) -> Executed:
        route = (
            None if router is None else router.route(mutation=mutation, recent_write=recent_write)
        )
        context = request_context(
            settings,
            app[DB_POOL],
            app[METADATA],
            viewer,
            request_id,
            request=request,
            record_cache_tags=for_cache,
            read_pool=None if route is None else route.read_pool,
            on_read_failure=None if router is None else router.read_failed,
        )
        path = "replayed"

        async def run() -> Answer:
            nonlocal path
            outcome = await execute_prepared(
                app[SCHEMA],
                prepared,
                operation,
                context,
                allow_mutations=allow_mutations,
                timeout_seconds=settings.request_timeout_seconds,
                request_error_status=request_error_status,
            )
            path = outcome.path
            ok = outcome.status == 200 and "errors" not in outcome.body
            return Answer(orjson.dumps(outcome.body), outcome.status, ok)

        try:
            if keyed_digest is None or idempotency_key is None:
                answered = await run()
            else:
                answered = await run_once(
                    context.db, subject or "", idempotency_key, keyed_digest, run, request_id
                )
        finally:
            if mutation and router is not None:
                await router.wrote(subject)  # before the response leaves
        return Executed(
            answered.body,
            answered.status,
            answered.ok,
            context.db.round_trips,
            path,
            context.cache_tags,
            context.invalidations,
            replayed=answered.replayed,
        )

    return await answer(
        app[RESPONSE_CACHE],
        policy,
        prepared.digest,
        _executed_name(prepared, operation),
        operation.variables,
        viewer,
        execute,
        http_cacheable=http_cacheable,
    )


def _is_mutation(prepared: PreparedDocument, operation: Operation) -> bool:
    if not prepared.valid:
        return False
    prepared_operation = prepared.operation(operation.operation_name)
    return prepared_operation is not None and prepared_operation.type is OperationType.MUTATION


def _executed_name(prepared: PreparedDocument, operation: Operation) -> str | None:
    """The name of the operation that runs, for the cache key: a one-operation document
    sent with its ``operationName`` (Apollo Client, ``vanta cache warm``) or without it
    (curl) runs the same operation and shares one entry."""
    if not prepared.valid:
        return operation.operation_name
    prepared_operation = prepared.operation(operation.operation_name)
    node = None if prepared_operation is None else prepared_operation.node
    if node is None:
        return operation.operation_name
    return None if node.name is None else node.name.value


def _policy(prepared: PreparedDocument, operation: Operation) -> CachePolicy:
    """Only a valid document's known operation may be cached."""
    if not prepared.valid:
        return NOT_CACHEABLE
    prepared_operation = prepared.operation(operation.operation_name)
    return NOT_CACHEABLE if prepared_operation is None else prepared_operation.policy
