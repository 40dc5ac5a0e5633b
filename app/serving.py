"""Answer one GraphQL operation: from the response cache, or by executing it.

Order of work for a query: cache policy (from the document, memoised) → key → lookup →
on a miss, one execution per key and process (single flight) → store if error-free.
A mutation executes, then invalidates the tags it touched before its response leaves.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from aiohttp import web

from app.auth import Viewer
from app.cache.keys import response_key
from app.cache.policy import CachePolicy, policy_for
from app.cache.response_cache import CacheStatus
from app.db.session import DbSession
from app.execution import execute_operation
from app.graphql_request import GraphQLRequest
from app.keys import DB_POOL, METADATA, RESPONSE_CACHE, SCHEMA, SETTINGS
from loaders.factory import Loaders, create_loaders
from schema.context import Context

__all__ = ["Served", "serve"]

NO_STORE = "no-store"
_NOT_CACHEABLE = CachePolicy(cacheable=False, ttl=0)


@dataclass(frozen=True, slots=True)
class Served:
    body: bytes
    status: int
    cache: CacheStatus
    cache_control: str
    round_trips: int  # database round trips this request caused (0 for hits and shared)
    path: str | None = None  # execution path (fast | stock); None when the cache answered


@dataclass(frozen=True, slots=True)
class _Executed:
    body: bytes
    status: int
    cacheable: bool  # a complete, error-free answer
    context: Context
    path: str


async def serve(
    request: web.Request, graphql_request: GraphQLRequest, viewer: Viewer | None, request_id: str
) -> Served:
    app = request.app
    cache = app[RESPONSE_CACHE]
    query = graphql_request.query
    settings = app[SETTINGS]
    policy = (
        policy_for(
            query,
            graphql_request.operation_name,
            settings.cache_ttl_seconds,
            max_tokens=settings.max_tokens,
        )
        if query and cache.backend is not None
        else _NOT_CACHEABLE
    )
    if not policy.cacheable:
        executed = await _execute(request, graphql_request, viewer, request_id)
        await cache.invalidate(executed.context.invalidations)
        return _served(executed, CacheStatus.BYPASS, NO_STORE)
    assert query is not None
    try:
        key = response_key(
            query,
            graphql_request.operation_name,
            graphql_request.variables,
            viewer,
            per_subject=policy.per_subject,
        )
    except (TypeError, orjson.JSONEncodeError):
        # Variables orjson cannot write back (nested past its depth limit): no cache entry,
        # and execution answers them (coercion errors included) as for any request.
        executed = await _execute(request, graphql_request, viewer, request_id)
        return _served(executed, CacheStatus.BYPASS, NO_STORE)
    cache_control = f"private, max-age={policy.ttl}" if request.method == "GET" else NO_STORE
    lookup = await cache.lookup(key)
    if lookup.body is not None:
        return Served(lookup.body, 200, CacheStatus.HIT, cache_control, 0)
    if lookup.status is CacheStatus.BYPASS:
        executed = await _execute(request, graphql_request, viewer, request_id)
        return _served(executed, CacheStatus.BYPASS, cache_control)

    async def execute_and_store() -> _Executed:
        executed = await _execute(request, graphql_request, viewer, request_id, for_cache=True)
        if executed.cacheable:
            await cache.store(
                key, executed.body, policy.ttl, executed.context.cache_tags, lookup.generation
            )
        return executed

    executed, shared = await cache.flight.run(key, execute_and_store)
    served = _served(executed, CacheStatus.MISS, cache_control)
    if shared:
        return Served(served.body, served.status, served.cache, served.cache_control, 0, None)
    return served


def _served(executed: _Executed, status: CacheStatus, cache_control: str) -> Served:
    return Served(
        body=executed.body,
        status=executed.status,
        cache=status,
        cache_control=cache_control if executed.cacheable else NO_STORE,
        round_trips=executed.context.db.round_trips,
        path=executed.path,
    )


async def _execute(
    request: web.Request,
    graphql_request: GraphQLRequest,
    viewer: Viewer | None,
    request_id: str,
    *,
    for_cache: bool = False,
) -> _Executed:
    """Run the request; ``for_cache``: the answer may be stored, so loaders record the
    cache tags of what they read (otherwise they skip that work)."""
    app = request.app
    settings = app[SETTINGS]
    db = DbSession(app[DB_POOL], settings.db_acquire_timeout_seconds)
    metadata = app[METADATA].bind(db)
    cache_tags: set[str] = set()

    def make_loaders() -> Loaders:
        return create_loaders(
            db,
            viewer,
            batching=settings.loaders_enabled,
            metadata=metadata,
            cache_tags=cache_tags if for_cache else None,
        )

    context = Context(
        request=request,
        settings=settings,
        db=db,
        pool=app[DB_POOL],
        loaders=make_loaders(),
        viewer=viewer,
        request_id=request_id,
        cache_tags=cache_tags,
        metadata_store=metadata,
        loader_factory=make_loaders,
    )
    outcome = await execute_operation(
        app[SCHEMA],
        graphql_request,
        context,
        allow_mutations=request.method == "POST",
        timeout_seconds=settings.request_timeout_seconds,
    )
    cacheable = outcome.status == 200 and "errors" not in outcome.body
    return _Executed(orjson.dumps(outcome.body), outcome.status, cacheable, context, outcome.path)
