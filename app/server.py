"""The aiohttp application factory: routes, middlewares and resources with lifetimes."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from aiohttp import web

from app.admin_cache import add_cache_admin_routes
from app.auth import TokenVerifier, jwt_secret_for
from app.config import DEFAULT_MAX_BODY_BYTES, Settings
from app.documents.precheck import budget_for
from app.documents.prepared import PreparedDocuments
from app.downloads import download_handler
from app.files.store import FileStore
from app.graphiql import add_graphiql_routes
from app.health import healthz, readyz
from app.http.compression import compression_middleware
from app.http.cors import cors_middleware
from app.jobs.metrics import JobMetrics
from app.metrics import METRICS, Metrics, metrics_handler
from app.persisted.trusted import TrustedDocuments
from app.processing import processing_ctx
from app.ratelimit import FallbackLimiter, InProcessLimiter, quotas_from, rate_limit_middleware
from app.ratelimit.client_key import key_function
from app.redis_client import REDIS_TIMEOUT_SECONDS
from app.resources import (
    DB_POOL,
    DOCUMENTS,
    FILE_STORE,
    JOB_METRICS,
    RATE_LIMITER,
    SCHEMA,
    SETTINGS,
    TOKEN_VERIFIER,
    TRUSTED_DOCUMENTS,
    resource_contexts,
)
from app.sdl import SDL_PATH, sdl_handler
from app.subscriptions.entry import graphql_entry
from app.subscriptions.setup import install_realtime
from schema.build import build_schema

__all__ = ["MAX_BODY_BYTES", "create_app", "freeze_startup_heap"]

MAX_BODY_BYTES = DEFAULT_MAX_BODY_BYTES  # the default of VANTA_MAX_BODY_BYTES


def create_app(
    settings: Settings,
    *,
    mongo_client_factory: Callable[[], Any] | None = None,
    run_workers: bool = False,
) -> web.Application:
    """Build the application; ``settings.database_url`` must name a reachable server.

    ``run_workers``: also work the processing queue with ``settings.job_workers`` pool
    processes (what ``vanta serve`` does; tests and bare apps leave it to others).

    ``mongo_client_factory`` replaces the AsyncMongoClient of the mongo metadata backend
    (tests pass an in-memory stand-in when no MongoDB server is available).

    Recommended use::

        web.run_app(create_app(Settings.from_env()), host=..., port=...)
    """
    if not settings.database_url:
        raise ValueError("settings.database_url is required (the CLI starts the embedded one)")
    # handler_args reach every RequestHandler, whichever runner serves the app (run_app,
    # gunicorn's worker, tests' TestServer). aiohttp arms the keep-alive timer when a
    # connection opens and after each response, and closes a connection still waiting for
    # complete request headers when it fires: idle and half-sent connections both end.
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        handler_args={"keepalive_timeout": settings.keepalive_seconds},
    )
    app[SETTINGS] = settings
    schema = build_schema(settings)
    app[SCHEMA] = schema
    app[DOCUMENTS] = PreparedDocuments(
        schema,
        max_bytes=settings.document_cache_max_bytes,
        max_objects=settings.document_cache_max_objects,
        default_ttl=settings.cache_ttl_seconds,
        budget=budget_for(settings),
    )
    app[TOKEN_VERIFIER] = TokenVerifier(jwt_secret_for(settings))
    app[METRICS] = Metrics(app, DB_POOL)
    app[FILE_STORE] = FileStore(settings.data_dir / "files")
    app[JOB_METRICS] = JobMetrics(app[METRICS].registry)
    if settings.trusted_documents is not None:
        app[TRUSTED_DOCUMENTS] = TrustedDocuments.load(settings.trusted_documents)
    # Middlewares, outermost first: the rate limit counts a request before any work on it.
    quotas = quotas_from(settings)
    if quotas:
        limiter = FallbackLimiter(
            InProcessLimiter(quotas, max_keys=settings.rate_limit_max_keys),
            timeout_seconds=REDIS_TIMEOUT_SECONDS,
            retry_seconds=settings.redis_retry_seconds,
        )
        app[RATE_LIMITER] = limiter
        key_of = key_function(app[TOKEN_VERIFIER], settings.trusted_proxies)
        app.middlewares.append(rate_limit_middleware(limiter, key_of, on_refused=_count_refused))
    if settings.compression:  # innermost: it sees the handler's body (a cache hit's forms)
        app.middlewares.append(compression_middleware())
    # CORS outermost: a preflight is answered before the limiter counts it or CSRF prevention
    # sees it, and a 429 still carries the grant the browser needs to read it.
    if settings.cors_origins:
        app.middlewares.insert(0, cors_middleware(settings.cors_origins))
    # Resources, in start order (cleanup runs in reverse): the Redis client before its users.
    app.cleanup_ctx.extend(resource_contexts(mongo_client_factory))
    if run_workers:
        app.cleanup_ctx.append(processing_ctx)  # after the pools: stopped before they close
    install_realtime(app, settings)  # listener, hub, limits, shutdown (after the cache)
    # WebSocket upgrades and event streams go to the subscription transports.
    app.router.add_route("*", "/graphql", graphql_entry)
    if settings.graphiql_enabled:
        add_graphiql_routes(app)
    app.router.add_get(SDL_PATH, sdl_handler)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/files/{document_id}", download_handler)
    add_cache_admin_routes(app)  # /admin/cache/stats and /admin/cache/clear (admins only)
    return app


GC_THRESHOLDS = (20_000, 10, 10)


async def freeze_startup_heap(app: web.Application) -> None:
    """Exempt what start-up built (imports, the schema, pools) from garbage collection.

    Every full collection would otherwise walk those hundreds of thousands of long-lived
    objects again; frozen, a full collection only sees what requests allocate (in the
    bench this cut GC time per request by half). For `vanta serve`, not for tests, which
    build and drop many apps in one process.
    """
    gc.collect()
    gc.freeze()
    # A request allocates thousands of objects that all live until its response is sent:
    # at the default 700 the young generation is collected several times per request,
    # each pass finding nothing to free; 20,000 cuts that (`python -m bench.cpu --gc server`
    # against `--gc default`). The older generations keep Python's 10 and 10: collected
    # more rarely, cyclic garbage (graphql-core's validation leaves some) piled up to
    # hundreds of MiB in `python -m bench.soak`.
    gc.set_threshold(*GC_THRESHOLDS)


def _count_refused(request: web.Request, seconds: float) -> None:
    """429s show up in vanta_graphql_requests_total like every other answer."""
    request.app[METRICS].observe(429, seconds, None)
