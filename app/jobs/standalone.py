"""``vanta worker``: the claiming loop and its process pool, without an HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Collection

from app.config import Settings
from app.db.pool import create_pool
from app.files.store import FileStore
from app.jobs.metrics import JobMetrics
from app.jobs.pool import analysis_pool
from app.jobs.worker import Invalidate, Worker, WorkerOptions
from app.metadata.backend import MetadataBackend

__all__ = ["options_from", "run_worker"]

log = logging.getLogger("vanta.jobs")


def options_from(settings: Settings, concurrency: int) -> WorkerOptions:
    return WorkerOptions(
        concurrency=concurrency,
        lease_seconds=settings.job_lease_seconds,
        retry_base_seconds=settings.job_retry_base_seconds,
        poll_seconds=settings.job_poll_seconds,
        spacy_model=settings.spacy_model,
        risk_amount_threshold=settings.risk_amount_threshold,
    )


@contextlib.asynccontextmanager
async def _metadata_backend(settings: Settings) -> AsyncIterator[MetadataBackend]:
    if settings.metadata_backend != "mongo":
        yield MetadataBackend("postgres")
        return
    from app.metadata.mongo_client import create_mongo_client, metadata_collection

    assert settings.mongodb_url is not None
    client = create_mongo_client(settings.mongodb_url)
    try:
        yield MetadataBackend("mongo", metadata_collection(client, settings.mongodb_url))
    finally:
        await client.close()


@contextlib.asynccontextmanager
async def _redis_invalidator(settings: Settings) -> AsyncIterator[Invalidate | None]:
    """Invalidation through the shared Redis response cache, when VANTA_REDIS_URL is set."""
    if settings.redis_url is None or not settings.cache_enabled:
        yield None
        return
    from app.cache.circuit import Circuit
    from app.cache.redis_backend import RedisBackend
    from app.redis_client import create_redis_client

    client = create_redis_client(settings.redis_url)
    backend = RedisBackend(
        client, f"{settings.redis_prefix}cache:", Circuit(retry_after=settings.redis_retry_seconds)
    )

    async def invalidate(tags: Collection[str]) -> None:
        await backend.invalidate(tags)

    try:
        yield invalidate
    finally:
        await client.aclose()


async def run_worker(settings: Settings, dsn: str, processes: int) -> None:
    """Work the queue with ``processes`` pool processes until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    pool = await create_pool(dsn, min_size=1, max_size=max(2, processes + 2))
    executor = analysis_pool(processes)
    try:
        async with _metadata_backend(settings) as backend, _redis_invalidator(settings) as inv:
            worker = Worker(
                dsn,
                pool,
                backend,
                FileStore(settings.data_dir / "files"),
                executor,
                options_from(settings, processes),
                metrics=JobMetrics(),
                invalidate=inv,
            )
            log.info("worker %s: %d processing processes", worker.name, processes)
            print(f"vanta worker {worker.name}: {processes} processing processes", flush=True)
            await worker.run(stop)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
        await pool.close()
