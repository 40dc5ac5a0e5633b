"""The in-process GCRA limiter: limits per key and window, bounded memory, sweeping."""

from __future__ import annotations

import tracemalloc

import pytest

from app.ratelimit.memory import InProcessLimiter, key_digest
from app.ratelimit.policy import Quota

MINUTE = 60 * 1_000_000
HOUR = 3600 * 1_000_000
TEN_MB = 10 * 1024 * 1024


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _limiter(
    per_minute: int = 5, per_hour: int = 1000, **kwargs: object
) -> tuple[InProcessLimiter, FakeClock]:
    clock = FakeClock()
    quotas = [Quota(per_minute, MINUTE), Quota(per_hour, HOUR)]
    return InProcessLimiter(quotas, clock=clock, **kwargs), clock  # type: ignore[arg-type]


def test_a_key_gets_exactly_its_per_minute_budget() -> None:
    limiter, _ = _limiter(per_minute=5)
    decisions = [limiter.hit("ip:198.51.100.1") for _ in range(6)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions[:5]] == [4, 3, 2, 1, 0]
    refused = decisions[-1]
    assert refused.limit == 5
    assert refused.retry_after_seconds == pytest.approx(12.0, abs=0.01)  # 60 s / 5
    assert refused.headers()["Retry-After"] == "12"


def test_keys_are_limited_independently() -> None:
    limiter, _ = _limiter(per_minute=2)
    assert all(limiter.hit("sub:alice").allowed for _ in range(2))
    assert not limiter.hit("sub:alice").allowed
    assert limiter.hit("sub:bob").allowed


def test_budget_comes_back_as_time_passes() -> None:
    limiter, clock = _limiter(per_minute=5)
    for _ in range(5):
        limiter.hit("k")
    assert not limiter.hit("k").allowed
    clock.now += 12.0  # one emission interval
    assert limiter.hit("k").allowed
    assert not limiter.hit("k").allowed


def test_refused_requests_do_not_use_up_budget() -> None:
    limiter, clock = _limiter(per_minute=5)
    for _ in range(5):
        limiter.hit("k")
    for _ in range(50):
        assert not limiter.hit("k").allowed
    clock.now += 12.0
    assert limiter.hit("k").allowed


def test_the_hourly_window_limits_when_the_minute_window_would_not() -> None:
    limiter, clock = _limiter(per_minute=100, per_hour=3)
    assert all(limiter.hit("k").allowed for _ in range(3))
    clock.now += 120.0  # minute budget whole again, hour budget still spent
    refused = limiter.hit("k")
    assert not refused.allowed
    assert refused.limit == 3
    assert refused.retry_after_seconds > 60


def test_headers_report_the_window_closest_to_refusing() -> None:
    limiter, _ = _limiter(per_minute=100, per_hour=3)
    decision = limiter.hit("k")
    assert decision.headers() == {
        "RateLimit-Limit": "3",
        "RateLimit-Remaining": "2",
        "RateLimit-Reset": "1200",  # one hourly interval until whole
    }


def test_tracked_keys_never_exceed_the_cap() -> None:
    limiter, _ = _limiter(max_keys=1000)
    for i in range(10_000):
        limiter.hit(f"ip:{i}")
        assert len(limiter) <= 1000
    assert len(limiter) > 800  # eviction drops a slice, not everything


def test_sweep_drops_clients_whose_budget_is_whole_again() -> None:
    limiter, clock = _limiter(per_minute=5, per_hour=1000)
    for i in range(100):
        limiter.hit(f"ip:{i}")
    assert limiter.sweep() == 0
    clock.now += 12.1  # the longest interval (5 per minute: 12 s) has passed
    assert limiter.sweep() == 100
    assert len(limiter) == 0


def test_periodic_sweep_runs_during_hits() -> None:
    limiter, clock = _limiter(sweep_seconds=10.0)
    for i in range(100):
        limiter.hit(f"ip:{i}")
    clock.now += 12.1  # past both the sweep period and every client's TAT
    limiter.hit("someone-new")
    assert len(limiter) == 1


def test_key_digest_is_stable_across_processes() -> None:
    # blake2b, never hash(): the same key must land on the same entry in every process.
    assert key_digest("sub:alice") == 0x8E7DD9631A8B8C9


def test_memory_stays_under_ten_megabytes_for_100k_distinct_keys() -> None:
    """The cap (32,768 keys by default) bounds memory whatever the number of clients.

    100,000 keys already overflow the cap three times; bench/limiter.py measures one million.
    """
    tracemalloc.start()
    try:
        limiter = InProcessLimiter([Quota(100, MINUTE), Quota(1000, HOUR)])
        for i in range(100_000):
            limiter.hit(f"ip:10.{i >> 16}.{(i >> 8) & 255}.{i & 255}")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(limiter) <= limiter.max_keys
    assert peak < TEN_MB
