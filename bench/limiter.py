"""Rate limiter figures: cost per request (in-process and Redis) and memory after 1M clients.

``python -m bench.limiter`` prints them; ``make bench`` appends them to RESULTS.md. Redis is
``VANTA_BENCH_REDIS_URL``, else ``VANTA_REDIS_URL``, else the local server on 6379 (skipped
when none answers). Single process, no HTTP: this is the limiter's own cost per request.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from dataclasses import dataclass

import redis.asyncio as aioredis

from app.config import Settings
from app.ratelimit import FallbackLimiter, InProcessLimiter, RedisLimiter, quotas_from

__all__ = ["LimiterFigures", "markdown", "measure"]

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
DISTINCT_KEYS = 1_000_000
HOT_HITS = 200_000
REDIS_HITS = 5_000
TEN_MB = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class LimiterFigures:
    in_process_hot_us: float  # one client over and over
    in_process_distinct_us: float  # a new client every request (eviction included)
    fallback_us: float  # Redis configured but down: circuit open, in-process used
    redis_us: float | None  # one Lua round trip to a local Redis; None without Redis
    tracked_keys: int
    max_keys: int
    memory_bytes: int


def _per_call_us(count: int, started: float) -> float:
    return (time.perf_counter() - started) / count * 1e6


async def _redis_us(url: str, settings: Settings) -> float | None:
    client = aioredis.Redis.from_url(url, socket_connect_timeout=1)
    prefix = f"vanta-bench-{secrets.token_hex(4)}:"
    try:
        await client.ping()
    except (OSError, aioredis.RedisError):
        await client.aclose()
        return None
    try:
        limiter = RedisLimiter(client, quotas_from(settings), prefix=prefix)
        for i in range(100):  # warm up: script loaded, connection open
            await limiter.hit(f"warm:{i}")
        started = time.perf_counter()
        for i in range(REDIS_HITS):
            await limiter.hit(f"ip:{i % 500}")
        result = _per_call_us(REDIS_HITS, started)
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        return result
    finally:
        await client.aclose()


async def _fallback_us(settings: Settings) -> float:
    logging.getLogger("vanta.ratelimit").setLevel(logging.ERROR)  # the outage is on purpose
    client = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    quotas = quotas_from(settings)
    limiter = FallbackLimiter(
        InProcessLimiter(quotas), RedisLimiter(client, quotas), retry_seconds=3600
    )
    await limiter.hit("open-the-circuit")
    started = time.perf_counter()
    for i in range(HOT_HITS):
        await limiter.hit(f"ip:{i % 500}")
    result = _per_call_us(HOT_HITS, started)
    await client.aclose()
    return result


def measure() -> LimiterFigures:
    """Measure with the default settings (100/min, 1000/h, default key cap)."""
    settings = Settings()
    quotas = quotas_from(settings)
    hot = InProcessLimiter(quotas, max_keys=settings.rate_limit_max_keys)
    started = time.perf_counter()
    for _ in range(HOT_HITS):
        hot.hit("sub:alice")
    hot_us = _per_call_us(HOT_HITS, started)

    flood = InProcessLimiter(quotas, max_keys=settings.rate_limit_max_keys)
    started = time.perf_counter()
    for i in range(DISTINCT_KEYS):
        flood.hit(f"ip:10.{i >> 16}.{(i >> 8) & 255}.{i & 255}")
    distinct_us = _per_call_us(DISTINCT_KEYS, started)

    url = (
        os.environ.get("VANTA_BENCH_REDIS_URL")
        or os.environ.get("VANTA_REDIS_URL")
        or DEFAULT_REDIS
    )
    redis_us = asyncio.run(_redis_us(url, settings))
    fallback_us = asyncio.run(_fallback_us(settings))
    return LimiterFigures(
        hot_us, distinct_us, fallback_us, redis_us, len(flood), flood.max_keys, flood.memory_bytes()
    )


def markdown(figures: LimiterFigures) -> str:
    """The RESULTS.md section."""
    redis = "no Redis reachable" if figures.redis_us is None else f"{figures.redis_us:.1f}"
    verdict = "under" if figures.memory_bytes < TEN_MB else "OVER"
    return "\n".join(
        [
            "## Rate limiter",
            "",
            "Cost of one limiter decision (single process, no HTTP), default quotas 100/min and "
            "1000/h:",
            "",
            "| limiter | µs per request |",
            "|---|--:|",
            f"| in-process, one client | {figures.in_process_hot_us:.2f} |",
            f"| in-process, a new client every request (1M, eviction included) | "
            f"{figures.in_process_distinct_us:.2f} |",
            f"| Redis configured but down (circuit open, in-process) | {figures.fallback_us:.2f} |",
            f"| Redis (one Lua script round trip, local server) | {redis} |",
            "",
            f"In-process memory after {DISTINCT_KEYS:,} distinct client keys: "
            f"{figures.memory_bytes / 1024 / 1024:.2f} MiB for {figures.tracked_keys:,} tracked "
            f"keys (cap {figures.max_keys:,}), {verdict} the 10 MB budget.",
            "",
        ]
    )


if __name__ == "__main__":
    print(markdown(measure()))
