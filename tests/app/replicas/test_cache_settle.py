"""With replicas, each invalidation is applied a second time once replicas have caught up."""

from __future__ import annotations

import asyncio

import pytest

from app.cache.memory import MemoryBackend
from app.cache.response_cache import CacheStatus, ResponseCache

TAGS = {"Company:1"}


async def test_an_answer_stored_from_a_lagging_replica_is_dropped_again() -> None:
    cache = ResponseCache(MemoryBackend(max_bytes=100_000), settle_seconds=0.05)
    try:
        await cache.invalidate(TAGS)  # a mutation commits on the primary
        # A query read a replica that had not replayed it yet, and stored the old answer
        # after the invalidation (its lookup came after it too: the generation matches).
        lookup = await cache.lookup("key")
        assert await cache.store("key", b"stale", 60, TAGS, lookup.generation)
        assert (await cache.lookup("key")).status is CacheStatus.HIT
        async with asyncio.timeout(10):  # a guard; the wait is for the counter
            await cache.settled.wait(1)
        assert (await cache.lookup("key")).status is CacheStatus.MISS
    finally:
        await cache.close()


async def test_without_replicas_there_is_no_second_invalidation() -> None:
    cache = ResponseCache(MemoryBackend(max_bytes=100_000))
    await cache.invalidate(TAGS)
    lookup = await cache.lookup("key")
    assert await cache.store("key", b"fresh", 60, TAGS, lookup.generation)
    assert cache.settle_seconds == 0 and not cache._settling
    assert (await cache.lookup("key")).status is CacheStatus.HIT
    await cache.close()


def test_a_negative_settle_time_is_refused() -> None:
    with pytest.raises(ValueError, match="settle_seconds"):
        ResponseCache(None, settle_seconds=-1)
