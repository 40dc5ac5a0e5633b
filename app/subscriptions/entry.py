"""The /graphql route: WebSocket upgrades and event streams to the subscription transports,
everything else to the HTTP pipeline."""

from __future__ import annotations

from aiohttp import web
from cross_web import HTTPException

from app.endpoint import graphql_handler
from app.subscriptions.connections import OPEN_SOCKET, REGISTRY
from app.subscriptions.operation import ConnectionState
from app.subscriptions.sse import sse_handler, wants_event_stream
from app.subscriptions.view import STREAM_VIEW
from app.subscriptions.ws import is_websocket_upgrade

__all__ = ["graphql_entry"]

MSG_PROCESS_FULL = "This server holds its maximum of subscription connections; retry shortly."


async def graphql_entry(request: web.Request) -> web.StreamResponse:
    if is_websocket_upgrade(request):
        return await websocket_handler(request)
    if request.method in ("GET", "POST") and wants_event_stream(request):
        return await sse_handler(request)
    return await graphql_handler(request)


async def websocket_handler(request: web.Request) -> web.StreamResponse:
    """Upgrade (or 503 when the process is full), then Strawberry's protocol handler."""
    registry = request.app[REGISTRY]
    if not registry.open("ws"):
        return web.Response(status=503, text=MSG_PROCESS_FULL, headers={"Retry-After": "5"})
    state = ConnectionState(request, "ws")
    try:
        return await request.app[STREAM_VIEW].run(request, context=state)
    except HTTPException as error:  # Strawberry refused the handshake (e.g. its origin)
        return web.Response(status=error.status_code, text=str(error.reason))
    finally:
        socket = request.get(OPEN_SOCKET)
        if socket is not None:
            registry.websockets.discard(socket)
        registry.close("ws")
