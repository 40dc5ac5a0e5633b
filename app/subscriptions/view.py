"""Strawberry's aiohttp GraphQLView configured for our two streaming transports.

Only WebSocket upgrades and ``Accept: text/event-stream`` requests reach it (app/transport
/entry.py); everything else takes the HTTP pipeline. The view supplies the framing
(graphql-transport-ws, graphql-sse distinct connections); identity, limits, per-operation
contexts and error shapes are ours (ws.py, operation.py).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import aclosing
from datetime import timedelta
from functools import cached_property
from typing import Any

import orjson
from aiohttp import ClientConnectionResetError, web
from strawberry.aiohttp.views import GraphQLView
from strawberry.http.streaming import HTTPStreamTransport, SSETransport
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL

from app.config import Settings
from app.subscriptions.connections import OPEN_SOCKET, REGISTRY
from app.subscriptions.operation import ConnectionState, StreamSchema
from app.subscriptions.ws import VantaTransportWSHandler

__all__ = ["STREAM_VIEW", "StreamView"]

log = logging.getLogger("vanta.transport")


class StreamView(GraphQLView):  # type: ignore[type-arg]
    """One per application; ``run(request, context=ConnectionState(...))``."""

    graphql_transport_ws_handler_class = VantaTransportWSHandler  # type: ignore[assignment]

    def __init__(self, app: web.Application, settings: Settings) -> None:
        super().__init__(
            schema=StreamSchema(app),  # type: ignore[arg-type]
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL),
            connection_init_wait_timeout=timedelta(
                seconds=settings.subscription_init_timeout_seconds
            ),
            max_subscriptions_per_connection=settings.subscription_max_per_connection,
            keep_alive=False,  # graphql-ws "ka" only; WebSocket pings come from aiohttp
        )
        self.settings = settings

    @cached_property
    def _stream_transport_map(self) -> dict[str, HTTPStreamTransport]:
        # Strawberry builds SSETransport() with its default heartbeat; ours is configured.
        return {
            "sse": SSETransport(heartbeat_interval=self.settings.subscription_keepalive_seconds)
        }

    def encode_json(self, data: object) -> str:
        return orjson.dumps(data).decode()  # text frames: the protocol forbids binary ones

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    async def create_websocket_response(
        self, request: web.Request, subprotocol: str | None
    ) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(
            protocols=[subprotocol] if subprotocol else [],
            heartbeat=self.settings.subscription_keepalive_seconds,
            max_msg_size=self.settings.subscription_max_message_bytes,
        )
        await ws.prepare(request)
        request.app[REGISTRY].websockets.add(ws)
        request[OPEN_SOCKET] = ws
        return ws

    async def get_context(self, request: web.Request, response: Any) -> ConnectionState:
        raise AssertionError("the transports pass a ConnectionState to run()")

    async def create_streaming_response(
        self,
        request: web.Request,
        stream: Callable[[], AsyncGenerator[str, None]],
        sub_response: web.Response,
        headers: Mapping[str, str],
    ) -> web.StreamResponse:
        """Strawberry's loop, plus: a client that went away ends the stream quietly."""
        response = web.StreamResponse(
            status=sub_response.status, headers={**sub_response.headers, **headers}
        )
        await response.prepare(request)
        try:
            async with aclosing(stream()) as chunks:
                async for chunk in chunks:
                    await response.write(chunk.encode())
            await response.write_eof()
        except (ClientConnectionResetError, ConnectionResetError):
            log.debug("SSE client went away")
        return response


STREAM_VIEW = web.AppKey("stream_view", StreamView)
