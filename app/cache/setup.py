"""Build the response cache and the APQ store on the backend the configuration calls for."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from app.cache.backend import CacheBackend
from app.cache.circuit import Circuit
from app.cache.memory import MemoryBackend
from app.cache.redis_backend import RedisBackend
from app.cache.response_cache import ResponseCache
from app.keys import PERSISTED_QUERIES, REDIS, RESPONSE_CACHE, SETTINGS
from app.persisted.apq import PersistedQueries

__all__ = ["cache_ctx"]


async def cache_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx (after the Redis client): Redis when configured, else in-process."""
    settings = app[SETTINGS]
    client = app.get(REDIS)
    cache_backend: CacheBackend | None
    apq_backend: CacheBackend
    if client is not None:
        retry = settings.redis_retry_seconds
        cache_backend = RedisBackend(
            client, f"{settings.redis_prefix}cache:", Circuit(retry_after=retry)
        )
        apq_backend = RedisBackend(
            client, f"{settings.redis_prefix}apq:", Circuit(retry_after=retry)
        )
    else:
        cache_backend = MemoryBackend(settings.cache_max_bytes)
        apq_backend = MemoryBackend(settings.apq_max_bytes)
    app[RESPONSE_CACHE] = ResponseCache(
        cache_backend if settings.cache_enabled else None, precompress=settings.compression
    )
    app[PERSISTED_QUERIES] = PersistedQueries(apq_backend, settings.apq_ttl_seconds)
    yield
