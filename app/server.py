"""The aiohttp application factory: routes, middlewares and resources with lifetimes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from app.auth import jwt_secret_for
from app.cache.setup import cache_ctx
from app.config import Settings
from app.db.pool import create_pool
from app.graphql_http import graphql_handler
from app.health import healthz, readyz
from app.keys import DB_POOL, JWT_SECRET, METADATA, SCHEMA, SETTINGS, TRUSTED_DOCUMENTS
from app.metadata.backend import metadata_backend_ctx
from app.metrics import METRICS, Metrics, metrics_handler
from app.persisted.trusted import TrustedDocuments
from app.redis_client import redis_client_ctx
from schema.build import build_schema

__all__ = ["create_app"]

# Room for a 1 MB uploadDocument content plus JSON escaping.
MAX_BODY_BYTES = 2 * 1024 * 1024


def create_app(
    settings: Settings, *, mongo_client_factory: Callable[[], Any] | None = None
) -> web.Application:
    """Build the application; ``settings.database_url`` must name a reachable server.

    ``mongo_client_factory`` replaces the AsyncMongoClient of the mongo metadata backend
    (tests pass an in-memory stand-in when no MongoDB server is available).

    Recommended use::

        web.run_app(create_app(Settings.from_env()), host=..., port=...)
    """
    if not settings.database_url:
        raise ValueError("settings.database_url is required (the CLI starts the embedded one)")
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app[SCHEMA] = build_schema()
    app[JWT_SECRET] = jwt_secret_for(settings)
    app[METRICS] = Metrics(app, DB_POOL)
    if settings.trusted_documents is not None:
        app[TRUSTED_DOCUMENTS] = TrustedDocuments.load(settings.trusted_documents)
    app.cleanup_ctx.extend(
        [
            _db_pool,
            metadata_backend_ctx(METADATA, mongo_client_factory),
            redis_client_ctx,
            cache_ctx,
        ]
    )
    app.router.add_route("*", "/graphql", graphql_handler)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_handler)
    return app


async def _db_pool(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    assert settings.database_url is not None
    pool = await create_pool(
        settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max
    )
    app[DB_POOL] = pool
    yield
    await pool.close()
