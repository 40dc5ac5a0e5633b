"""A fixture that runs a test with each response-cache backend: in-process and Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
import redis.asyncio as aioredis

from app.config import Settings
from tests.services import redis_url
from tests.world import World

__all__ = ["cache_settings"]


@pytest.fixture(params=["memory", "redis"])
async def cache_settings(
    request: pytest.FixtureRequest, settings: Settings, world: World
) -> AsyncIterator[Settings]:
    """A cached app's settings with each backend (Redis: a prefix of its own, removed after)."""
    cached = replace(settings, cache_enabled=True)
    if request.param == "memory":
        yield cached
        return
    url = await redis_url()
    if url is None:
        print("\n[tests] skipping the Redis cache admin tests: no Redis reachable")
        pytest.skip("no Redis reachable (set VANTA_TEST_REDIS_URL)")
    prefix = f"vanta-test-{uuid.uuid4().hex}:"
    yield replace(cached, redis_url=url, redis_prefix=prefix)
    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
