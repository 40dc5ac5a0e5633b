"""The process-wide Redis client (redis.asyncio), shared by the response cache and APQ.

Created lazily connected: a Redis that is down at start does not stop the server; its
users fall back (see app/cache/circuit.py) and recover when it returns.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import redis.asyncio as redis
from aiohttp import web

from app.keys import REDIS, SETTINGS

__all__ = ["REDIS_TIMEOUT_SECONDS", "redis_client_ctx"]

REDIS_TIMEOUT_SECONDS = 0.5  # a slow Redis must not be slower than executing the query


async def redis_client_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: one client (and pool) per process when VANTA_REDIS_URL is set."""
    url = app[SETTINGS].redis_url
    if url is None:
        yield
        return
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        max_connections=64,
    )
    app[REDIS] = client
    yield
    await client.aclose()
