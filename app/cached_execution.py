"""The cache stage: answer a prepared operation from the response cache, or execute it once.

For a query: policy (read off the prepared document) → key → lookup → on a miss, one
execution per key and process (single flight) → store if error-free. A mutation or
anything not cacheable executes, then invalidates the tags it touched before its
response leaves. How to execute is the caller's (``Execute``): this stage knows only
the cache.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from app.auth import Viewer
from app.cache.keys import response_key
from app.cache.policy import NOT_CACHEABLE, CachePolicy
from app.cache.response_cache import CacheStatus, ResponseCache
from app.encoding import NO_STORE

__all__ = ["Execute", "Executed", "Served", "answer"]


@dataclass(frozen=True, slots=True)
class Served:
    body: bytes
    status: int
    cache: CacheStatus
    cache_control: str
    round_trips: int  # database round trips this request caused (0 for hits and shared)
    path: str | None = None  # execution path (fast | stock); None when the cache answered
    replayed: bool = False  # an Idempotency-Key's recorded answer (app.idempotency)


@dataclass(frozen=True, slots=True)
class Executed:
    body: bytes
    status: int
    cacheable: bool  # a complete, error-free answer
    round_trips: int
    path: str
    cache_tags: set[str] = field(default_factory=set)  # what the answer read
    invalidations: set[str] = field(default_factory=set)  # what a mutation changed
    replayed: bool = False  # an Idempotency-Key's recorded answer, not a new execution


# ``execute(for_cache)``: run the operation; ``for_cache`` means the answer may be stored,
# so loaders record the cache tags of what they read (otherwise they skip that work).
Execute = Callable[[bool], Awaitable[Executed]]


async def answer(
    cache: ResponseCache,
    policy: CachePolicy,
    digest: bytes,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    viewer: Viewer | None,
    execute: Execute,
    *,
    http_cacheable: bool,
) -> Served:
    """``http_cacheable``: the transport may let clients cache the answer (a GET)."""
    if cache.backend is None:
        policy = NOT_CACHEABLE
    if not policy.cacheable:
        executed = await execute(False)
        await cache.invalidate(executed.invalidations)
        return _served(executed, CacheStatus.BYPASS, NO_STORE)
    try:
        key = response_key(
            digest, operation_name, variables, viewer, per_subject=policy.per_subject
        )
    except (TypeError, orjson.JSONEncodeError):
        # Variables orjson cannot write back (nested past its depth limit): no cache entry,
        # and execution answers them (coercion errors included) as for any request.
        executed = await execute(False)
        return _served(executed, CacheStatus.BYPASS, NO_STORE)
    cache_control = f"private, max-age={policy.ttl}" if http_cacheable else NO_STORE
    lookup = await cache.lookup(key)
    if lookup.body is not None:
        return Served(lookup.body, 200, CacheStatus.HIT, cache_control, 0)
    if lookup.status is CacheStatus.BYPASS:
        executed = await execute(False)
        return _served(executed, CacheStatus.BYPASS, cache_control)

    async def execute_and_store() -> Executed:
        executed = await execute(True)
        if executed.cacheable:
            executed = dataclasses.replace(executed, body=cache.encoded(executed.body))
            await cache.store(
                key, executed.body, policy.ttl, executed.cache_tags, lookup.generation
            )
        return executed

    executed, shared = await cache.flight.run(key, execute_and_store)
    served = _served(executed, CacheStatus.MISS, cache_control)
    if shared:
        return Served(served.body, served.status, served.cache, served.cache_control, 0, None)
    return served


def _served(executed: Executed, status: CacheStatus, cache_control: str) -> Served:
    return Served(
        body=executed.body,
        status=executed.status,
        cache=status,
        cache_control=cache_control if executed.cacheable else NO_STORE,
        round_trips=executed.round_trips,
        path=executed.path,
        replayed=executed.replayed,
    )
