"""/admin/cache/stats and /admin/cache/clear over real HTTP, with both cache backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import redis.asyncio as aioredis

from app.config import Settings
from app.resources import CACHE_BUS
from tests.app.cache_backends import cache_settings
from tests.conftest import Api, make_token, running
from tests.world import World

__all__ = ["cache_settings"]  # the fixture, imported for pytest

DOCS = "query Docs { documents(first: 5) { nodes { id filename } totalCount } }"


@pytest.fixture
async def cached(cache_settings: Settings) -> AsyncIterator[Api]:
    async with running(cache_settings) as api:
        yield api


def _admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token('admin', '*', subject='ops')}"}


async def _stats(api: Api) -> dict[str, Any]:
    response = await api.client.get("/admin/cache/stats", headers=_admin())
    assert response.status == 200, await response.text()
    return await response.json()  # type: ignore[no-any-return]


async def _docs(api: Api, token: str) -> str:
    status, body, headers = await api.post(DOCS, token=token)
    assert status == 200 and "errors" not in body, body
    return str(headers["X-Cache"])


async def test_stats_show_a_miss_then_a_hit(
    cached: Api, cache_settings: Settings, world: World
) -> None:
    before = await _stats(cached)
    assert (before["entries"], before["hits"], before["misses"]) == (0, 0, 0)
    token = make_token("viewer", [world.companies["a"]])
    assert [await _docs(cached, token), await _docs(cached, token)] == ["MISS", "HIT"]
    after = await _stats(cached)
    expected_backend = "redis" if cache_settings.redis_url else "memory"
    assert after["backend"] == expected_backend
    assert (after["entries"], after["hits"], after["misses"]) == (1, 1, 1)
    assert after["bytes"] > 0
    if expected_backend == "memory":
        assert after["budget"] == cache_settings.cache_max_bytes
        assert after["evictions"] == 0
        assert after["scope"] == "this worker's store"


async def test_clear_empties_the_cache_and_the_next_request_misses(
    cached: Api, world: World
) -> None:
    token = make_token("viewer", [world.companies["a"]])
    assert [await _docs(cached, token), await _docs(cached, token)] == ["MISS", "HIT"]
    response = await cached.client.post("/admin/cache/clear", headers=_admin())
    assert response.status == 200, await response.text()
    assert (await response.json())["cleared"] == 1
    assert (await _stats(cached))["entries"] == 0
    assert await _docs(cached, token) == "MISS"


async def test_clear_reaches_every_worker_with_the_in_process_backend(
    settings: Settings, world: World
) -> None:
    """One request reaches one worker; the others clear on the bus's NOTIFY."""
    cached = replace(settings, cache_enabled=True)
    token = make_token("viewer", [world.companies["b"]])
    async with running(cached) as worker_a, running(cached) as worker_b:
        assert [await _docs(worker_b, token), await _docs(worker_b, token)] == ["MISS", "HIT"]
        bus_b = worker_b.client.server.app[CACHE_BUS]
        applied = bus_b.applied.value
        response = await worker_a.client.post("/admin/cache/clear", headers=_admin())
        assert response.status == 200, await response.text()
        assert (await response.json())["workers"].startswith("all")
        async with asyncio.timeout(30):  # a bound on a missing fan-out, not a timing check
            await bus_b.applied.wait(applied + 1)
        assert await _docs(worker_b, token) == "MISS"


@pytest.mark.parametrize("path", ["/admin/cache/stats", "/admin/cache/clear"])
async def test_only_an_admin_over_every_company_may_use_them(
    cached: Api, world: World, path: str
) -> None:
    method = cached.client.get if path.endswith("stats") else cached.client.post
    refused: list[tuple[dict[str, str], int, str]] = [
        ({}, 401, "UNAUTHENTICATED"),
        ({"Authorization": "Bearer not-a-jwt"}, 401, "UNAUTHENTICATED"),
        ({"Authorization": f"Bearer {make_token('viewer', '*')}"}, 403, "FORBIDDEN"),
        ({"Authorization": f"Bearer {make_token('accountant', '*')}"}, 403, "FORBIDDEN"),
        (
            {"Authorization": f"Bearer {make_token('admin', [world.companies['a']])}"},
            403,
            "FORBIDDEN",
        ),
    ]
    for headers, status, code in refused:
        response = await method(path, headers=headers)
        assert response.status == status, (headers, await response.text())
        body = await response.json()
        (error,) = body["errors"]
        assert error["extensions"]["code"] == code
        assert error["extensions"]["requestId"] == response.headers["X-Request-Id"]


@pytest.mark.parametrize("cache_settings", ["redis"], indirect=True)
async def test_a_redis_clear_drops_only_the_response_cache_keys(
    cached: Api, cache_settings: Settings, world: World
) -> None:
    """Never FLUSHDB: APQ entries and anything else on the server stay."""
    assert cache_settings.redis_url is not None
    prefix = cache_settings.redis_prefix
    client = aioredis.Redis.from_url(cache_settings.redis_url)
    try:
        await client.set(f"{prefix}apq:r:keep", b"query")
        await client.set(f"{prefix}other", b"someone else's")
        token = make_token("viewer", [world.companies["a"]])
        assert await _docs(cached, token) == "MISS"
        cache_keys = [key async for key in client.scan_iter(match=f"{prefix}cache:[rt]:*")]
        assert cache_keys
        response = await cached.client.post("/admin/cache/clear", headers=_admin())
        assert (await response.json())["cleared"] == 1
        assert [key async for key in client.scan_iter(match=f"{prefix}cache:[rt]:*")] == []
        assert await client.get(f"{prefix}apq:r:keep") == b"query"
        assert await client.get(f"{prefix}other") == b"someone else's"
    finally:
        await client.aclose()
