"""The Redis limiter: same GCRA as in-process, one budget across servers, fallback and recovery."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis

from app.ratelimit.memory import InProcessLimiter
from app.ratelimit.policy import Quota
from app.ratelimit.redis_gcra import RedisLimiter
from app.resources import RATE_LIMITER
from tests.conftest import JWT_SECRET, StartApp, TestDatabase
from tests.services import RedisProcess, free_port, redis_url

MINUTE = 60 * 1_000_000
HOUR = 3600 * 1_000_000
QUERY = {"query": "{ __typename }"}
VANTA = Path(sys.executable).with_name("vanta")


@pytest.fixture
async def shared_redis() -> AsyncIterator[tuple[str, str]]:
    """(url, prefix): the local Redis and a key prefix no other test uses; keys removed after."""
    url = await redis_url()
    if url is None:
        pytest.skip("no Redis reachable (set VANTA_TEST_REDIS_URL or start one on 6379)")
    prefix = f"vanta-test-{uuid.uuid4().hex[:10]}:"
    yield url, prefix
    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[RedisProcess]:
    try:
        process = RedisProcess(tmp_path)
    except FileNotFoundError:
        pytest.skip("redis-server is not installed")
    await process.start()
    yield process
    await process.stop()


async def test_redis_and_in_process_limiters_decide_alike(shared_redis: tuple[str, str]) -> None:
    url, prefix = shared_redis
    quotas = [Quota(5, MINUTE), Quota(7, HOUR)]
    client = aioredis.Redis.from_url(url)
    try:
        shared = RedisLimiter(client, quotas, prefix=prefix)
        local = InProcessLimiter(quotas)
        remote = [await shared.hit("sub:alice") for _ in range(6)]
        here = [local.hit("sub:alice") for _ in range(6)]
        assert [(d.allowed, d.limit, d.remaining) for d in remote] == [
            (d.allowed, d.limit, d.remaining) for d in here
        ]
        assert [d.allowed for d in remote] == [True] * 5 + [False]
        assert remote[-1].retry_after_seconds == pytest.approx(12.0, abs=0.1)
        assert (await shared.hit("sub:bob")).allowed  # keys are separate
        stored = [key async for key in client.scan_iter(match=f"{prefix}*")]
        assert len(stored) == 2
        assert all(b"alice" not in key and b"bob" not in key for key in stored)
        for key in stored:  # each expires once its budgets are whole: within the hour
            assert 0 < await client.pttl(key) <= HOUR // 1000 + 1
    finally:
        await client.aclose()


async def test_two_app_instances_share_one_budget_through_redis(
    start_app: StartApp, shared_redis: tuple[str, str]
) -> None:
    url, prefix = shared_redis
    limits = {"rate_limit_per_minute": 3, "rate_limit_per_hour": 0}
    async with (
        start_app(redis_url=url, redis_prefix=prefix, **limits) as one,
        start_app(redis_url=url, redis_prefix=prefix, **limits) as two,
    ):
        statuses = []
        for client in (one, two, one, two):
            response = await client.post("/graphql", json=QUERY)
            statuses.append(response.status)
        assert one.app[RATE_LIMITER].using_redis
    assert statuses == [200, 200, 200, 429]  # in-process alone would have allowed 3 each


async def test_limiter_falls_back_when_redis_stops_and_recovers_when_it_returns(
    start_app: StartApp, private_redis: RedisProcess
) -> None:
    overrides = {
        "redis_url": private_redis.url,
        "redis_retry_seconds": 0.0,  # retry Redis on the very next request
        "rate_limit_per_minute": 50,
        "rate_limit_per_hour": 0,
    }
    async with start_app(**overrides) as client:
        limiter = client.app[RATE_LIMITER]
        assert (await client.post("/graphql", json=QUERY)).status == 200
        assert limiter.using_redis

        assert (await client.get("/readyz")).status == 200

        await private_redis.stop()
        ready = await client.get("/readyz")
        assert ready.status == 503
        assert (await ready.json())["failing"] == ["redis"]
        response = await client.post("/graphql", json=QUERY)
        assert response.status == 200  # requests keep succeeding
        assert response.headers["RateLimit-Limit"] == "50"  # limited in-process meanwhile
        assert not limiter.using_redis
        assert len(limiter.local) == 1

        await private_redis.start()  # an empty Redis on the same port
        response = await client.post("/graphql", json=QUERY)
        assert response.status == 200
        assert limiter.using_redis  # back without a restart
        assert (await client.get("/readyz")).status == 200
        check = aioredis.Redis.from_url(private_redis.url)
        try:
            assert [key async for key in check.scan_iter(match="vanta:rl:*")]
        finally:
            await check.aclose()


async def test_limits_still_hold_while_redis_is_down(
    start_app: StartApp, private_redis: RedisProcess
) -> None:
    async with start_app(
        redis_url=private_redis.url, rate_limit_per_minute=2, rate_limit_per_hour=0
    ) as client:
        await private_redis.stop()
        statuses = [(await client.post("/graphql", json=QUERY)).status for _ in range(3)]
    assert statuses == [200, 200, 429]


async def _serve(env: dict[str, str]) -> tuple[asyncio.subprocess.Process, str]:
    """Start ``vanta serve``; return it and its URL once /healthz answers."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        str(VANTA),
        "serve",
        env={**env, "VANTA_PORT": str(port)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(3000):  # wait for the condition "healthz answers", bounded
            if process.returncode is not None:
                raise RuntimeError(f"vanta serve exited with {process.returncode}")
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return process, url
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.01)
    raise RuntimeError("vanta serve did not answer /healthz")


async def test_two_server_processes_share_one_budget(
    shared_redis: tuple[str, str], test_db: TestDatabase, tmp_path: Path
) -> None:
    url, prefix = shared_redis
    env = {key: value for key, value in os.environ.items() if not key.startswith("VANTA_")}
    env.update(
        VANTA_DATABASE_URL=test_db.url,
        VANTA_DATA_DIR=str(tmp_path),
        VANTA_JWT_SECRET=JWT_SECRET,
        VANTA_SEED_DEMO="0",
        VANTA_REDIS_URL=url,
        VANTA_REDIS_PREFIX=prefix,
        VANTA_RATE_LIMIT_PER_MINUTE="3",
        VANTA_RATE_LIMIT_PER_HOUR="0",
    )
    servers = []
    try:
        for _ in range(2):
            servers.append(await _serve(env))
        statuses = []
        async with aiohttp.ClientSession() as session:
            for _, base in (servers[0], servers[1], servers[0], servers[1]):
                async with session.post(f"{base}/graphql", json=QUERY) as response:
                    statuses.append(response.status)
    finally:
        for process, _ in servers:
            process.send_signal(signal.SIGTERM)
            await process.wait()
    assert statuses == [200, 200, 200, 429]
