"""The real-time resources of one process: NOTIFY listener, event hub, cache bus, metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web

from app.cache.bus import InvalidationBus
from app.db.listener import Listener
from app.events.hub import EventHub
from app.events.metrics import RealtimeMetrics
from app.metrics import METRICS
from app.resources import DB_POOL, RESPONSE_CACHE, SETTINGS

__all__ = ["CACHE_BUS", "EVENT_HUB", "LISTENER", "REALTIME_METRICS", "realtime_ctx"]

log = logging.getLogger("vanta.events")

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
