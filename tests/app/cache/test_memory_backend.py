"""The in-process backend: TTL, LRU under a byte budget, tags, and the generation guard."""

from __future__ import annotations

from app.cache.memory import MemoryBackend


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_entry_expires_after_its_ttl() -> None:
    clock = FakeClock()
    cache = MemoryBackend(max_bytes=10_000, clock=clock)
    await cache.set("k", b"v", ttl=60)
    clock.now += 59.9
    assert (await cache.get("k"))[0] == b"v"
    clock.now += 0.2
    assert (await cache.get("k"))[0] is None
    assert len(cache) == 0 and cache.size == 0


async def test_zero_ttl_is_not_stored() -> None:
    cache = MemoryBackend(max_bytes=10_000)
    assert await cache.set("k", b"v", ttl=0) is False
    assert (await cache.get("k"))[0] is None


async def test_least_recently_used_entry_leaves_first_when_over_budget() -> None:
    probe = MemoryBackend(max_bytes=10_000)
    await probe.set("a", b"x" * 100, ttl=60)
    cache = MemoryBackend(max_bytes=3 * probe.size + 10)  # three entries of 100 bytes fit
    for key in "abc":
        await cache.set(key, b"x" * 100, ttl=60)
    await cache.get("a")  # a is now more recent than b
    await cache.set("d", b"x" * 100, ttl=60)
    assert [k for k in "abcd" if (await cache.get(k))[0] is not None] == ["a", "c", "d"]
    assert cache.size <= cache.max_bytes


async def test_entry_larger_than_budget_is_refused_without_evicting() -> None:
    cache = MemoryBackend(max_bytes=1000)
    await cache.set("small", b"x", ttl=60)
    assert await cache.set("huge", b"x" * 5000, ttl=60) is False
    assert (await cache.get("small"))[0] == b"x"


async def test_invalidate_drops_exactly_the_tagged_entries() -> None:
    cache = MemoryBackend(max_bytes=100_000)
    await cache.set("q1", b"1", ttl=60, tags=["Company:1:documents", "Company:1"])
    await cache.set("q2", b"2", ttl=60, tags=["Company:2:documents"])
    await cache.set("q3", b"3", ttl=60, tags=["Documents:all", "Company:1"])
    assert await cache.invalidate(["Company:1"]) == 2
    assert [k for k in ("q1", "q2", "q3") if (await cache.get(k))[0]] == ["q2"]
    assert await cache.invalidate(["Company:1"]) == 0


async def test_store_after_an_invalidation_since_lookup_is_refused() -> None:
    cache = MemoryBackend(max_bytes=100_000)
    _, generation = await cache.get("q")
    await cache.invalidate(["Company:1:documents"])  # a mutation committed meanwhile
    assert await cache.set("q", b"stale", ttl=60, if_generation=generation) is False
    _, generation = await cache.get("q")
    assert await cache.set("q", b"fresh", ttl=60, if_generation=generation) is True
    assert (await cache.get("q"))[0] == b"fresh"


async def test_replacing_an_entry_keeps_the_size_accounting_exact() -> None:
    cache = MemoryBackend(max_bytes=100_000)
    await cache.set("k", b"x" * 10, ttl=60, tags=["t"])
    first = cache.size
    await cache.set("k", b"x" * 10, ttl=60, tags=["t"])
    assert cache.size == first
    await cache.invalidate(["t"])
    assert cache.size == 0
