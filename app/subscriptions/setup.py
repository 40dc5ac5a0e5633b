"""Wire the subscription transports into an application: route entry, limits, shutdown."""

from __future__ import annotations

from aiohttp import web

from app.config import Settings
from app.resources import EVENT_HUB, REALTIME_METRICS, realtime_ctx
from app.subscriptions.connections import REGISTRY, ConnectionRegistry
from app.subscriptions.view import STREAM_VIEW, StreamView

__all__ = ["install_realtime"]


def install_realtime(app: web.Application, settings: Settings) -> None:
    """Add the listener/hub resources (after the pool and cache) and the shutdown hook."""
    app[STREAM_VIEW] = StreamView(app, settings)
    app.cleanup_ctx.append(realtime_ctx)
    app.cleanup_ctx.append(_registry_ctx)
    app.on_shutdown.append(_tell_clients)


async def _registry_ctx(app: web.Application):  # type: ignore[no-untyped-def]
    settings = app[STREAM_VIEW].settings
    app[REGISTRY] = ConnectionRegistry(
        settings.subscription_max_connections,
        settings.subscription_max_connections_per_token,
        app[REALTIME_METRICS],
    )
    yield


async def _tell_clients(app: web.Application) -> None:
    """Shutdown: refuse new connections, end every subscription, close the sockets (1001)."""
    registry = app.get(REGISTRY)
    if registry is not None:
        registry.closing = True
    hub = app.get(EVENT_HUB)
    if hub is not None:
        hub.close()  # SSE streams and WebSocket operations complete
    if registry is not None:
        await registry.shutdown()
