"""Plug the shared Redis client into the rate limiter for the application's lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from app.keys import RATE_LIMITER, REDIS, SETTINGS
from app.ratelimit.redis_gcra import RedisLimiter

__all__ = ["shared_limiter_ctx"]


async def shared_limiter_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx after the Redis client's: limit through Redis when both exist."""
    limiter = app.get(RATE_LIMITER)
    client = app.get(REDIS)
    if limiter is None or client is None:
        yield
        return
    limiter.shared = RedisLimiter(client, limiter.local.quotas, prefix=app[SETTINGS].redis_prefix)
    try:
        yield
    finally:
        limiter.shared = None
