"""Processing inside ``vanta serve``: the job worker as a resource of the application.

The claiming loop runs on the server's event loop (it only waits on PostgreSQL); the
analysis runs in ``VANTA_JOB_WORKERS`` spawned processes, so spaCy is never imported by,
and never runs in, the process that answers requests.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Collection

from aiohttp import web

from app.jobs.pool import analysis_pool
from app.jobs.standalone import options_from
from app.jobs.worker import Worker
from app.resources import DB_POOL, FILE_STORE, JOB_METRICS, METADATA, RESPONSE_CACHE, SETTINGS

__all__ = ["processing_ctx"]

STOP_GRACE_SECONDS = 10.0


async def processing_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: start the worker after the pools, stop it (bounded) before they close."""
    settings = app[SETTINGS]
    if settings.job_workers < 1:
        yield
        return
    assert settings.database_url is not None
    cache = app[RESPONSE_CACHE]

    async def invalidate(tags: Collection[str]) -> None:
        # This process's cache (memory or the shared Redis one); other processes' in-memory
        # caches learn it from the vanta_cache_invalidate NOTIFY.
        await cache.invalidate(tags)

    executor = analysis_pool(settings.job_workers)
    worker = Worker(
        settings.database_url,
        app[DB_POOL],
        app[METADATA],
        app[FILE_STORE],
        executor,
        options_from(settings, settings.job_workers),
        metrics=app[JOB_METRICS],
        invalidate=invalidate,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(task, STOP_GRACE_SECONDS)
        executor.shutdown(wait=False, cancel_futures=True)
