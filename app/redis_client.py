"""The process's one Redis client (rate limiter now, response cache later), as a cleanup context.

Redis is optional and may be down at start: the client connects lazily, and every user must
treat a Redis error as "Redis is away" (the limiter falls back, a cache falls through).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import Redis

from app.keys import RATE_LIMITER, REDIS, SETTINGS
from app.ratelimit import RedisLimiter

__all__ = ["redis_client"]


async def redis_client(app: web.Application) -> AsyncIterator[None]:
    """Create ``app[REDIS]`` when ``VANTA_REDIS_URL`` is set, and close it at shutdown."""
    settings = app[SETTINGS]
    if not settings.redis_url:
        yield
        return
    client = Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
        health_check_interval=30,
    )
    app[REDIS] = client
    limiter = app.get(RATE_LIMITER)
    if limiter is not None:
        limiter.shared = RedisLimiter(client, limiter.local.quotas, prefix=settings.redis_prefix)
    try:
        yield
    finally:
        if limiter is not None:
            limiter.shared = None
        await client.aclose()
