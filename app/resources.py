"""Process resources: built once at start, released at shutdown, and the keys they live under.

This is the only module that knows the aiohttp application's keys and the order resources
start in (the Redis client before its users); everything below it receives what it needs
as arguments, so no lower module reaches into the application.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import asyncpg
import redis.asyncio as redis
from aiohttp import web

from app.auth import TokenVerifier
from app.cache.backend import CacheBackend
from app.cache.circuit import Circuit
from app.cache.memory import MemoryBackend
from app.cache.redis_backend import RedisBackend
from app.cache.response_cache import ResponseCache
from app.config import Settings
from app.db.listener import Listener
from app.db.pool import create_pool
from app.documents.prepared import PreparedDocuments
from app.events.cache_bus import InvalidationBus
from app.events.hub import EventHub
from app.events.metrics import RealtimeMetrics
from app.files.store import FileStore
from app.jobs.metrics import JobMetrics
from app.metadata.backend import MetadataBackend
from app.metrics import METRICS
from app.persisted.apq import PersistedQueries
from app.persisted.trusted import TrustedDocuments
from app.ratelimit.fallback import FallbackLimiter
from app.ratelimit.redis_gcra import RedisLimiter
from app.redis_client import create_redis_client
from app.replicas.metrics import ReplicaCollector
from app.replicas.monitor import ReplicaSet
from app.replicas.recent_writes import RecentWrites
from app.replicas.router import ReadRouter
from schema.build import VantaSchema

__all__ = [
    "CACHE_BUS",
    "DB_POOL",
    "DOCUMENTS",
    "EVENT_HUB",
    "FILE_STORE",
    "JOB_METRICS",
    "LISTENER",
    "METADATA",
    "PERSISTED_QUERIES",
    "RATE_LIMITER",
    "READ_ROUTER",
    "REALTIME_METRICS",
    "REDIS",
    "RESPONSE_CACHE",
    "SCHEMA",
    "SETTINGS",
    "TOKEN_VERIFIER",
    "TRUSTED_DOCUMENTS",
    "realtime_ctx",
    "resource_contexts",
]

SETTINGS = web.AppKey("settings", Settings)
SCHEMA = web.AppKey("schema", VantaSchema)
# Parsed, validated and planned documents of SCHEMA (app.documents.prepared).
DOCUMENTS = web.AppKey("prepared_documents", PreparedDocuments)
TOKEN_VERIFIER = web.AppKey("token_verifier", TokenVerifier)
DB_POOL = web.AppKey("db_pool", asyncpg.Pool)
METADATA = web.AppKey("metadata_backend", MetadataBackend)
# Present only when VANTA_REDIS_URL is set; shared by every Redis user (limiter, cache, APQ).
REDIS = web.AppKey("redis", redis.Redis)
RATE_LIMITER = web.AppKey("rate_limiter", FallbackLimiter)
RESPONSE_CACHE = web.AppKey("response_cache", ResponseCache)
PERSISTED_QUERIES = web.AppKey("persisted_queries", PersistedQueries)
# Absent unless VANTA_TRUSTED_DOCUMENTS names a manifest.
TRUSTED_DOCUMENTS = web.AppKey("trusted_documents", TrustedDocuments)
# The development token `vanta serve` printed, pre-filled in GraphiQL (never in production).
GRAPHIQL_TOKEN = web.AppKey("graphiql_token", str)
# Uploaded files (VANTA_DATA_DIR/files) and the processing queue's metrics (issue 11).
FILE_STORE = web.AppKey("file_store", FileStore)
JOB_METRICS = web.AppKey("job_metrics", JobMetrics)
# Present only when VANTA_DATABASE_REPLICA_URLS lists replicas (issue 16).
READ_ROUTER = web.AppKey("read_router", ReadRouter)

log = logging.getLogger("vanta.resources")

Context = Callable[[web.Application], AsyncIterator[None]]


def resource_contexts(mongo_client_factory: Callable[[], Any] | None = None) -> list[Context]:
    """The cleanup contexts, in start order (aiohttp runs their cleanup in reverse).

    ``mongo_client_factory`` replaces the AsyncMongoClient of the mongo metadata backend
    (tests pass an in-memory stand-in when no MongoDB server is available).
    """
    return [
        _db_pool,
        _metadata_backend(mongo_client_factory),
        _redis,
        _read_replicas,
        _shared_limiter,
        _caches,
    ]


async def _db_pool(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    assert settings.database_url is not None
    pool = await create_pool(
        settings.database_url,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        statement_timeout_ms=settings.statement_timeout_ms,
        connect_timeout=settings.db_connect_timeout_seconds,
    )
    app[DB_POOL] = pool
    yield
    await pool.close()


def _metadata_backend(mongo_client_factory: Callable[[], Any] | None) -> Context:
    """The metadata store's backend; for mongo, the client is opened and closed here."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        if settings.metadata_backend != "mongo":
            app[METADATA] = MetadataBackend("postgres")
            yield
            return
        # Imported only here: pymongo costs start time and memory.
        from app.metadata.mongo_client import create_mongo_client, metadata_collection

        url = settings.mongodb_url
        assert url is not None
        client = (mongo_client_factory or (lambda: create_mongo_client(url)))()
        app[METADATA] = MetadataBackend("mongo", metadata_collection(client, url))
        try:
            yield
        finally:
            await client.close()

    return ctx


async def _redis(app: web.Application) -> AsyncIterator[None]:
    """One client (and pool) per process when VANTA_REDIS_URL is set."""
    url = app[SETTINGS].redis_url
    if url is None:
        yield
        return
    client = create_redis_client(url)
    app[REDIS] = client
    yield
    await client.aclose()


async def _read_replicas(app: web.Application) -> AsyncIterator[None]:
    """The replica pools and their poller; start-up waits for one poll (bounded by the
    connect timeout) so the first queries already know which replicas are usable."""
    settings = app[SETTINGS]
    if not settings.database_replica_urls:
        yield
        return
    replicas = await ReplicaSet.open(
        app[DB_POOL],
        settings.database_replica_urls,
        max_lag=settings.replica_max_lag_seconds,
        poll_seconds=settings.replica_poll_seconds,
        pool_max=settings.db_pool_max,
        statement_timeout_ms=settings.statement_timeout_ms,
        connect_timeout=settings.db_connect_timeout_seconds,
    )
    try:
        recent = RecentWrites(
            settings.read_your_writes_seconds,
            app.get(REDIS),
            prefix=settings.redis_prefix,
            circuit=Circuit(retry_after=settings.redis_retry_seconds),
        )
        router = ReadRouter(replicas, recent)
        await replicas.poll()
        replicas.start()
        app[READ_ROUTER] = router
        if METRICS in app:
            app[METRICS].registry.register(ReplicaCollector(router))
        yield
    finally:
        await replicas.close()


async def _shared_limiter(app: web.Application) -> AsyncIterator[None]:
    """Limit through Redis when both a limiter and Redis exist."""
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


async def _caches(app: web.Application) -> AsyncIterator[None]:
    """The response cache and the APQ store: on Redis when configured, else in-process."""
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
    # With replicas: a second invalidation once any usable replica has replayed the write.
    settle = (
        settings.replica_max_lag_seconds + 2 * settings.replica_poll_seconds
        if settings.database_replica_urls
        else 0.0
    )
    response_cache = ResponseCache(
        cache_backend if settings.cache_enabled else None,
        precompress=settings.compression,
        settle_seconds=settle,
    )
    app[RESPONSE_CACHE] = response_cache
    app[PERSISTED_QUERIES] = PersistedQueries(apq_backend, settings.apq_ttl_seconds)
    yield
    await response_cache.close()


# Real-time: the NOTIFY listener, the event hub, the cache-invalidation bus, their metrics.
LISTENER = web.AppKey("listener", Listener)
EVENT_HUB = web.AppKey("event_hub", EventHub)
CACHE_BUS = web.AppKey("cache_bus", InvalidationBus)
REALTIME_METRICS = web.AppKey("realtime_metrics", RealtimeMetrics)


async def realtime_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx after the pool and the cache: start listening before serving.

    Start-up waits (up to the connect timeout) for the first LISTEN, so a server that
    answers has its listener up; if PostgreSQL does not answer in time the listener keeps
    trying in the background and replays what it missed once connected.
    """
    settings = app[SETTINGS]
    assert settings.database_url is not None
    pool = app[DB_POOL]
    metrics = RealtimeMetrics(app[METRICS].registry)
    hub = EventHub(
        pool,
        metrics,
        max_pending=settings.subscription_max_pending,
        replay_slack=timedelta(seconds=settings.replay_slack_seconds),
    )
    metrics.watch_subscriptions(lambda: hub.count)
    bus = InvalidationBus(app[RESPONSE_CACHE], pool, settings.db_acquire_timeout_seconds)
    listener = Listener(
        settings.database_url,
        connect_timeout=settings.db_connect_timeout_seconds,
        health_interval=settings.listener_health_seconds,
    )
    hub.attach(listener)
    bus.attach(listener)
    app[REALTIME_METRICS] = metrics
    app[EVENT_HUB] = hub
    app[CACHE_BUS] = bus
    app[LISTENER] = listener
    if not await listener.start(wait_seconds=settings.db_connect_timeout_seconds):
        log.warning("listener not connected at start-up; retrying in the background")
    yield
    hub.close()
    await listener.close()
