"""Prometheus figures of the real-time transports, on the application's registry."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge

__all__ = ["RealtimeMetrics"]


class RealtimeMetrics:
    """Open connections and subscriptions (read when scraped), events delivered/dropped."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.connections = Gauge(
            "vanta_subscription_connections",
            "Open subscription connections (WebSocket and SSE)",
            ["transport"],
            registry=registry,
        )
        self.subscriptions = Gauge(
            "vanta_subscriptions_active",
            "Active GraphQL subscriptions in this process",
            registry=registry,
        )
        self.delivered = Counter(
            "vanta_subscription_events_delivered",
            "Subscription events resolved and handed to a transport",
            registry=registry,
        )
        self.dropped = Counter(
            "vanta_subscription_events_dropped",
            "Events not delivered: a subscriber fell behind, or the payload was malformed",
            ["reason"],
            registry=registry,
        )

    def watch_subscriptions(self, count: Callable[[], float]) -> None:
        self.subscriptions.set_function(count)
