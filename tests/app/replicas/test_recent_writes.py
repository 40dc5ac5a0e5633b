"""Recent writes: per process, and across processes through Redis (a real server)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from app.replicas.recent_writes import RecentWrites
from tests.services import RedisProcess, redis_url
from tests.standby import free_port_in_range


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_mark_lasts_the_window_in_one_process() -> None:
    clock = Clock()
    recent = RecentWrites(5.0, clock=clock)
    await recent.record("alice")
    assert await recent.wrote_recently("alice")
    assert not await recent.wrote_recently("bob")
    clock.now += 5.0
    assert not await recent.wrote_recently("alice")


async def test_local_marks_are_bounded() -> None:
    clock = Clock()
    recent = RecentWrites(5.0, clock=clock, max_local=3)
    for subject in ("a", "b", "c", "d"):
        await recent.record(subject)
    assert not await recent.wrote_recently("a")  # the oldest went first
    assert await recent.wrote_recently("d")


async def test_a_zero_window_turns_it_off() -> None:
    recent = RecentWrites(0.0)
    await recent.record("alice")
    assert not await recent.wrote_recently("alice")


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    url = await redis_url()
    if url is None:
        pytest.skip("no Redis reachable (VANTA_TEST_REDIS_URL or 127.0.0.1:6379)")
    client = aioredis.Redis.from_url(url)
    try:
        yield client
    finally:
        await client.aclose()


async def test_a_mark_reaches_another_process_through_redis(redis_client: aioredis.Redis) -> None:
    prefix = f"vanta-test-{uuid.uuid4().hex[:8]}:"
    here = RecentWrites(5.0, redis_client, prefix=prefix)
    elsewhere = RecentWrites(5.0, redis_client, prefix=prefix)  # no local mark of its own
    await here.record("alice")
    assert await elsewhere.wrote_recently("alice")
    assert not await elsewhere.wrote_recently("bob")
    keys = [key async for key in redis_client.scan_iter(f"{prefix}rw:*")]
    assert len(keys) == 1 and b"alice" not in keys[0]  # the subject is hashed
    ttl = await redis_client.pttl(keys[0])
    assert 0 < ttl <= 5000  # Redis expires it: no clock is compared across hosts
    await redis_client.delete(*keys)


async def test_redis_down_sends_the_read_to_the_primary(tmp_path) -> None:  # type: ignore[no-untyped-def]
    try:
        server = RedisProcess(tmp_path)
    except FileNotFoundError as error:
        pytest.skip(str(error))
    server.port = free_port_in_range()
    server.url = f"redis://127.0.0.1:{server.port}/0"
    await server.start()
    client = aioredis.Redis.from_url(server.url, socket_connect_timeout=0.5)
    try:
        recent = RecentWrites(5.0, client)
        assert not await recent.wrote_recently("alice")
        await server.stop()
        # Unknown: assume a recent write, so the read goes to the primary (never stale).
        assert await recent.wrote_recently("alice")
    finally:
        await client.aclose()
        await server.stop()
