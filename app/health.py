"""Liveness and readiness: /healthz says the process runs, /readyz that its services answer."""

from __future__ import annotations

import asyncio

import orjson
from aiohttp import web

from app.jobs.queue import oldest_pending_age, queue_counts
from app.resources import DB_POOL, METADATA, READ_ROUTER, REDIS

__all__ = ["healthz", "readyz"]

CHECK_TIMEOUT_SECONDS = 2.0


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"}, dumps=lambda v: orjson.dumps(v).decode())


async def readyz(request: web.Request) -> web.Response:
    """200 when every dependency answers; 503 naming each one that does not."""
    checks = {"postgres": _check_postgres(request.app)}
    if request.app[METADATA].kind == "mongo":
        checks["mongodb"] = _check_mongodb(request.app)
    if REDIS in request.app:
        checks["redis"] = _check_redis(request.app)
    results = dict(zip(checks, await asyncio.gather(*checks.values()), strict=True))
    failing = sorted(name for name, error in results.items() if error is not None)
    body = {
        "status": "unavailable" if failing else "ok",
        "checks": {name: error or "ok" for name, error in results.items()},
    }
    if failing:
        body["failing"] = failing
    if results["postgres"] is None:
        body["queue"] = await _queue(request.app)
    router = request.app.get(READ_ROUTER)
    if router is not None:
        # Informational like the queue: queries fall back to the primary, so a replica
        # that is down or lagging does not make the API unready.
        body["replicas"] = [replica.report() for replica in router.replicas.replicas]
    return web.Response(
        body=orjson.dumps(body), status=503 if failing else 200, content_type="application/json"
    )


async def _queue(app: web.Application) -> dict[str, object]:
    """The processing queue, for operators: informational, never a readiness failure
    (a backlog is the workers' problem, not a reason to stop answering queries)."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            async with app[DB_POOL].acquire() as conn:
                age = await oldest_pending_age(conn)
                counts = await queue_counts(conn)
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"[:200]}
    return {
        "oldest_pending_seconds": None if age is None else round(age, 3),
        "queued": counts.get("queued", 0),
        "running": counts.get("running", 0),
        "failed": counts.get("failed", 0),
    }


async def _check_postgres(app: web.Application) -> str | None:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            async with app[DB_POOL].acquire() as conn:
                await conn.fetchval("SELECT 1")
    except Exception as error:
        return f"{type(error).__name__}: {error}"[:200] or type(error).__name__
    return None


async def _check_mongodb(app: web.Application) -> str | None:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await app[METADATA].collection.database.command("ping")
    except Exception as error:
        return f"{type(error).__name__}: {error}"[:200] or type(error).__name__
    return None


async def _check_redis(app: web.Application) -> str | None:
    """Redis is optional for serving (the limiter falls back) but part of readiness (DESIGN 6)."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await app[REDIS].ping()
    except Exception as error:
        return f"{type(error).__name__}: {error}"[:200] or type(error).__name__
    return None
