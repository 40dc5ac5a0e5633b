"""The process-wide Redis client (redis.asyncio), shared by the response cache and APQ.

Created lazily connected: a Redis that is down at start does not stop the server; its
users fall back (see app/cache/circuit.py) and recover when it returns.
"""

from __future__ import annotations

import redis.asyncio as redis

__all__ = ["REDIS_TIMEOUT_SECONDS", "create_redis_client"]

REDIS_TIMEOUT_SECONDS = 0.5  # a slow Redis must not be slower than executing the query


def create_redis_client(url: str) -> redis.Redis:
    """A client whose every call fails fast: a slow Redis must not slow requests down."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        max_connections=64,
    )
