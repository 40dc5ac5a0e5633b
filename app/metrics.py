"""Prometheus exposition (/metrics): request counts and latency, round trips, pool gauges."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import asyncpg
from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

__all__ = ["Metrics", "metrics_handler"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_ROUND_TRIP_BUCKETS = (0, 1, 2, 3, 4, 6, 8, 12, 20, 50, 100)


class _PoolCollector(Collector):
    def __init__(self, app: web.Application, pool_key: web.AppKey[asyncpg.Pool]) -> None:
        self._app = app
        self._pool_key = pool_key

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool = self._app.get(self._pool_key)
        if pool is None:
            return
        size = GaugeMetricFamily(
            "vanta_db_pool_connections", "Open pool connections", labels=["state"]
        )
        idle = pool.get_idle_size()
        size.add_metric(["idle"], idle)
        size.add_metric(["busy"], pool.get_size() - idle)
        yield size
        yield GaugeMetricFamily("vanta_db_pool_max", "Pool size limit", value=pool.get_max_size())


class Metrics:
    """One registry per application, so tests can build several apps in one process."""

    def __init__(self, app: web.Application, pool_key: web.AppKey[asyncpg.Pool]) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.registry.register(_PoolCollector(app, pool_key))
        self._by_status: dict[int, Any] = {}
        self.requests = Counter(
            "vanta_graphql_requests",
            "GraphQL HTTP requests by response status",
            ["status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "vanta_graphql_request_seconds",
            "Time to answer a GraphQL request",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.round_trips = Histogram(
            "vanta_graphql_db_round_trips",
            "Database round trips per GraphQL request",
            buckets=_ROUND_TRIP_BUCKETS,
            registry=self.registry,
        )

    def observe(self, status: int, seconds: float, round_trips: int | None) -> None:
        counter = self._by_status.get(status)
        if counter is None:  # each status's child once: labels() costs a lock and a lookup
            counter = self._by_status[status] = self.requests.labels(str(status))
        counter.inc()
        self.latency.observe(seconds)
        if round_trips is not None:
            self.round_trips.observe(round_trips)


METRICS = web.AppKey("metrics", Metrics)


async def metrics_handler(request: web.Request) -> web.Response:
    body = generate_latest(request.app[METRICS].registry)
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response
