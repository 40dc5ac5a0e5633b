"""The Redis backend against a real Redis: bytes in and out, TTLs, tags and the generation guard."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from app.cache.backend import CacheUnavailable
from app.cache.circuit import Circuit
from app.cache.redis_backend import RedisBackend

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"
RAW = bytes(range(256))  # every byte value: nothing may decode or re-encode it


def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_connect_timeout=1, socket_timeout=2, retry=Retry(NoBackoff(), 0)
    )


@pytest.fixture
async def client() -> AsyncIterator[redis.Redis]:
    """The shared test Redis (VANTA_TEST_REDIS_URL or the local default), else skip."""
    url = os.environ.get("VANTA_TEST_REDIS_URL") or DEFAULT_REDIS_URL
    connection = _client(url)
    try:
        await connection.ping()
    except (RedisError, OSError) as error:
        await connection.aclose()
        reason = f"no Redis reachable at {url} ({error})"
        print(f"\n[tests] skipping Redis tests: {reason}")
        pytest.skip(reason)
    yield connection
    await connection.aclose()


@pytest.fixture
async def prefix(client: redis.Redis) -> AsyncIterator[str]:
    """This test's own key prefix; its keys are deleted afterwards (never FLUSHDB)."""
    name = f"vanta-test-{uuid.uuid4().hex}:"
    yield name
    keys = [key async for key in client.scan_iter(match=f"{name}*", count=500)]
    if keys:
        await client.delete(*keys)


@pytest.fixture
def backend(client: redis.Redis, prefix: str) -> RedisBackend:
    return RedisBackend(client, prefix)


async def _keys(client: redis.Redis, prefix: str) -> set[str]:
    return {key.decode() async for key in client.scan_iter(match=f"{prefix}*", count=500)}


async def test_set_then_get_returns_the_raw_bytes(
    backend: RedisBackend, client: redis.Redis, prefix: str
) -> None:
    assert await backend.get("k") == (None, 0)
    assert await backend.set("k", RAW, ttl=60) is True
    value, generation = await backend.get("k")
    assert type(value) is bytes
    assert value == RAW
    assert generation == 0
    assert await client.get(f"{prefix}r:k") == RAW  # stored as is, under the entry namespace


async def test_set_replaces_an_existing_value(backend: RedisBackend) -> None:
    await backend.set("k", b"old", ttl=60)
    await backend.set("k", b"new", ttl=60)
    assert (await backend.get("k"))[0] == b"new"


async def test_zero_ttl_is_not_stored(
    backend: RedisBackend, client: redis.Redis, prefix: str
) -> None:
    assert await backend.set("k", b"v", ttl=0, tags=["T"]) is False
    assert (await backend.get("k"))[0] is None
    assert await _keys(client, prefix) == set()


async def test_entry_and_its_tag_sets_carry_a_ttl(
    backend: RedisBackend, client: redis.Redis, prefix: str
) -> None:
    await backend.set("short", b"1", ttl=120, tags=["A", "B"])
    entry_ttl = await client.pttl(f"{prefix}r:short")
    assert 0 < entry_ttl <= 120_000
    for tag in ("A", "B"):
        assert await client.smembers(f"{prefix}t:{tag}") == {f"{prefix}r:short".encode()}
        assert 0 < await client.pttl(f"{prefix}t:{tag}") <= 120_000

    # A tag set lives as long as its longest-lived entry, and a shorter one never shortens it.
    await backend.set("long", b"2", ttl=600, tags=["A"])
    assert 120_000 < await client.pttl(f"{prefix}t:A") <= 600_000
    await backend.set("shorter", b"3", ttl=30, tags=["A"])
    assert 120_000 < await client.pttl(f"{prefix}t:A") <= 600_000
    assert 0 < await client.pttl(f"{prefix}t:B") <= 120_000


async def test_invalidate_drops_exactly_the_tagged_entries_and_counts_them(
    backend: RedisBackend, client: redis.Redis, prefix: str
) -> None:
    await backend.set("q1", b"1", ttl=60, tags=["Company:1:documents"])
    await backend.set("q2", b"2", ttl=60, tags=["Company:2:documents"])
    await backend.set("q3", b"3", ttl=60, tags=["Company:1:documents", "Company:2:documents"])
    await backend.set("q4", b"4", ttl=60, tags=["Company:3:documents"])
    await backend.set("q5", b"5", ttl=60)

    dropped = await backend.invalidate(["Company:1:documents", "Company:2:documents"])
    assert dropped == 3  # q3 carries both tags and counts once
    survivors = [k for k in ("q1", "q2", "q3", "q4", "q5") if (await backend.get(k))[0]]
    assert survivors == ["q4", "q5"]
    assert await _keys(client, prefix) == {
        f"{prefix}r:q4",
        f"{prefix}r:q5",
        f"{prefix}t:Company:3:documents",
        f"{prefix}generation",
    }

    assert await backend.invalidate(["Company:1:documents"]) == 0
    assert await backend.invalidate(["Company:3:documents", "Unknown"]) == 1
    assert [k for k in ("q4", "q5") if (await backend.get(k))[0]] == ["q5"]


async def test_invalidate_handles_more_entries_than_one_delete_chunk(
    backend: RedisBackend,
) -> None:
    for i in range(1203):
        await backend.set(f"k{i}", b"x", ttl=60, tags=["Big"])
    await backend.set("other", b"y", ttl=60, tags=["Small"])
    assert await backend.invalidate(["Big"]) == 1203
    assert (await backend.get("k0"))[0] is None
    assert (await backend.get("k1202"))[0] is None
    assert (await backend.get("other"))[0] == b"y"


async def test_store_computed_before_an_invalidation_is_refused(backend: RedisBackend) -> None:
    _, before = await backend.get("k")
    assert await backend.invalidate(["Company:1:documents"]) == 0
    value, after = await backend.get("k")
    assert value is None and after == before + 1

    assert await backend.set("k", b"stale", ttl=60, tags=["T"], if_generation=before) is False
    assert (await backend.get("k"))[0] is None
    assert await backend.set("k", b"fresh", ttl=60, tags=["T"], if_generation=after) is True
    assert (await backend.get("k"))[0] == b"fresh"
    assert await backend.set("k", b"any", ttl=60) is True  # no guard asked for


async def test_generation_is_shared_by_backends_on_the_same_prefix(
    client: redis.Redis, prefix: str
) -> None:
    worker_a, worker_b = RedisBackend(client, prefix), RedisBackend(client, prefix)
    _, before = await worker_a.get("k")
    await worker_b.invalidate(["T"])
    assert await worker_a.set("k", b"stale", ttl=60, if_generation=before) is False
    assert (await worker_b.get("k"))[0] is None


async def test_prefixes_keep_backends_apart(client: redis.Redis, prefix: str) -> None:
    cache, apq = RedisBackend(client, f"{prefix}cache:"), RedisBackend(client, f"{prefix}apq:")
    await cache.set("k", b"cached", ttl=60, tags=["T"])
    await apq.set("k", b"query", ttl=60)
    assert await apq.invalidate(["T"]) == 0
    assert (await cache.get("k"))[0] == b"cached"
    assert (await apq.get("k"))[0] == b"query"


async def test_unreachable_redis_raises_unavailable_then_fails_fast() -> None:
    unreachable = _client(CLOSED_PORT_URL)
    try:
        backend = RedisBackend(unreachable, "vanta-test-unused:", Circuit(retry_after=3600))
        with pytest.raises(CacheUnavailable) as first:
            await backend.get("k")
        assert "circuit" not in str(first.value)
        # The circuit is open now: the next calls do not even try the network.
        with pytest.raises(CacheUnavailable, match="circuit open"):
            await backend.get("k")
        with pytest.raises(CacheUnavailable, match="circuit open"):
            await backend.set("k", b"v", 60)
        with pytest.raises(CacheUnavailable, match="circuit open"):
            await backend.invalidate(["T"])
    finally:
        await unreachable.aclose()


async def test_tag_sets_forget_entries_that_expired_on_their_own(
    backend: RedisBackend, client: redis.Redis, prefix: str
) -> None:
    # 50 entries of one tag expire by themselves (no invalidation ever runs for the tag).
    for i in range(50):
        await backend.set(f"old-{i}", b"v", ttl=60, tags=["Company:1"])
    for i in range(50):
        await client.delete(f"{prefix}r:old-{i}")  # what expiry does, without waiting for it
    # New writes to the tag prune a few dead members each, so the set shrinks to the live ones.
    for i in range(400):
        await backend.set(f"new-{i % 5}", b"v", ttl=60, tags=["Company:1"])
    members = await client.smembers(f"{prefix}t:Company:1")
    assert members == {f"{prefix}r:new-{i}".encode() for i in range(5)}
