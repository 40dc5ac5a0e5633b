"""In-process caches hold no more memory than their budgets say (measured with tracemalloc,
which sees allocations as they really are, over-allocated buffers included)."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable, Iterator

import jwt
import orjson
import pytest

from app.auth import TokenVerifier
from app.cache.memory import MemoryBackend
from app.persisted.apq import PersistedQueries
from app.sizing import exact_bytes

BUDGET = 1024 * 1024
SECRET = "memory-budget-secret-0123456789-abcdef"


@pytest.fixture
def traced() -> Iterator[Callable[[], int]]:
    """Bytes allocated since the fixture started and still alive."""
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]

    def held() -> int:
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - start

    yield held
    tracemalloc.stop()


def test_exact_bytes_copies_into_a_right_sized_allocation(traced: Callable[[], int]) -> None:
    bodies = [exact_bytes(orjson.dumps({"data": {"n": i}})) for i in range(1000)]
    assert bodies[7] == orjson.dumps({"data": {"n": 7}})
    assert traced() < 1000 * 200  # orjson's own results hold ~4 KiB each


async def test_response_cache_of_small_orjson_bodies_stays_within_its_budget(
    traced: Callable[[], int],
) -> None:
    cache = MemoryBackend(max_bytes=BUDGET)
    for i in range(20_000):
        body = orjson.dumps({"data": {"documentStatistics": {"total": i}}})
        await cache.set(f"vanta:r:{i:064d}", body, ttl=60, tags=[f"Company:{i % 50}:documents"])
    assert 1000 < len(cache) < 20_000  # the budget evicted, and it is not a trivial fill
    assert cache.size <= BUDGET
    assert traced() <= BUDGET * 1.1


async def test_apq_store_and_memo_stay_within_their_budgets(traced: Callable[[], int]) -> None:
    backend = MemoryBackend(max_bytes=BUDGET)
    store = PersistedQueries(backend, ttl_seconds=60, memo_max_bytes=BUDGET)
    for i in range(3000):
        query = f"{{ documents(first: {i}) {{ nodes {{ id filename }} }} }}" + " " * 2000
        await store.register(f"{i:064x}", query)
    assert traced() <= 2 * BUDGET * 1.1


def test_token_verifier_memo_stays_within_its_byte_budget(traced: Callable[[], int]) -> None:
    verifier = TokenVerifier(SECRET, max_entries=10_000, max_bytes=BUDGET)
    now = int(time.time())
    for i in range(5000):
        claims = {
            "sub": f"user-{i}",
            "role": "viewer",
            "companies": list(range(1, 200)),  # a large scope: the viewer's set is big too
            "exp": now + 3600,
        }
        verifier.verify(jwt.encode(claims, SECRET, algorithm="HS256"))
    assert 0 < len(verifier) < 5000
    assert traced() <= BUDGET * 1.1
