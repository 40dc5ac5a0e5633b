"""ResponseCache never fails a request, and replays invalidations it could not deliver."""

from __future__ import annotations

import asyncio
from collections.abc import Collection

import pytest

from app.cache.backend import CacheUnavailable
from app.cache.memory import MemoryBackend
from app.cache.response_cache import CacheStatus, ResponseCache
from app.cache.singleflight import SingleFlight


class FlakyBackend(MemoryBackend):
    """A memory backend that can be switched to failing, like Redis going away."""

    def __init__(self) -> None:
        super().__init__(max_bytes=100_000)
        self.down = False
        self.delivered: set[str] = set()

    async def get(self, key: str) -> tuple[bytes | None, int]:
        if self.down:
            raise CacheUnavailable("down")
        return await super().get(key)

    async def set(
        self,
        key: str,
        value: bytes,
        ttl: int,
        tags: Collection[str] = (),
        if_generation: int | None = None,
    ) -> bool:
        if self.down:
            raise CacheUnavailable("down")
        return await super().set(key, value, ttl, tags, if_generation)

    async def invalidate(self, tags: Collection[str], *, probe: bool = False) -> int:
        if self.down:
            raise CacheUnavailable("down")
        self.delivered = set(tags)
        return await super().invalidate(tags)


async def test_miss_then_hit() -> None:
    cache = ResponseCache(MemoryBackend(max_bytes=100_000))
    first = await cache.lookup("k")
    assert first.status is CacheStatus.MISS
    assert await cache.store("k", b"{}", 60, ["t"], first.generation)
    second = await cache.lookup("k")
    assert (second.status, second.body) == (CacheStatus.HIT, b"{}")


async def test_disabled_cache_bypasses() -> None:
    cache = ResponseCache(None)
    assert (await cache.lookup("k")).status is CacheStatus.BYPASS
    await cache.invalidate(["t"])  # nothing to do, no error


async def test_outage_bypasses_and_missed_invalidations_are_replayed_first() -> None:
    backend = FlakyBackend()
    cache = ResponseCache(backend)
    lookup = await cache.lookup("k")
    await cache.store("k", b"old", 60, ["Company:1:documents"], lookup.generation)

    backend.down = True
    assert (await cache.lookup("k")).status is CacheStatus.BYPASS
    await cache.invalidate(["Company:1:documents"])  # the mutation's invalidation is lost...
    assert not await cache.store("k", b"x", 60, [], 0)

    backend.down = False
    # ...but replayed before anything is served again: the old entry is never a hit.
    after = await cache.lookup("k")
    assert after.status is CacheStatus.MISS
    await cache.close()


async def test_missed_invalidation_is_replayed_in_the_background_without_another_call() -> None:
    backend = FlakyBackend()
    cache = ResponseCache(backend, replay_interval=0.01)
    lookup = await cache.lookup("k")
    await cache.store("k", b"old", 60, ["Company:1:documents"], lookup.generation)
    backend.down = True
    await cache.invalidate(["Company:1:documents"])
    assert cache.pending == 1

    backend.down = False  # nothing calls the cache from here on: other processes read Redis
    for _ in range(1000):  # wait for the condition, bounded
        if cache.pending == 0:
            break
        await asyncio.sleep(0.01)
    assert cache.pending == 0
    assert backend.delivered == {"Company:1:documents"}
    assert (await backend.get("k"))[0] is None
    await cache.close()


def test_replay_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="replay_interval"):
        ResponseCache(None, replay_interval=0)


async def test_single_flight_runs_concurrent_work_once() -> None:
    flight: SingleFlight[str] = SingleFlight()
    calls = 0
    release = asyncio.Event()

    async def work() -> str:
        nonlocal calls
        calls += 1
        await release.wait()
        return "answer"

    tasks = [asyncio.create_task(flight.run("k", work)) for _ in range(5)]
    await asyncio.sleep(0)  # let every task reach the flight before releasing
    release.set()
    results = await asyncio.gather(*tasks)
    assert calls == 1
    assert [r[0] for r in results] == ["answer"] * 5
    assert sorted(r[1] for r in results) == [False, True, True, True, True]
    assert len(flight) == 0


async def test_single_flight_shares_failures_and_forgets_them() -> None:
    flight: SingleFlight[str] = SingleFlight()
    release = asyncio.Event()

    async def boom() -> str:
        await release.wait()
        raise RuntimeError("failed")

    tasks = [asyncio.create_task(flight.run("k", boom)) for _ in range(3)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)

    async def fine() -> str:
        return "ok"

    assert await flight.run("k", fine) == ("ok", False)


@pytest.mark.parametrize("down", [True, False])
async def test_invalidate_with_no_tags_does_not_touch_backend(down: bool) -> None:
    backend = FlakyBackend()
    backend.down = down
    cache = ResponseCache(backend)
    await cache.invalidate([])
    backend.down = False
    assert (await cache.lookup("k")).status is CacheStatus.MISS
