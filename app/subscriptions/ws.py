"""graphql-transport-ws on /graphql: Strawberry's protocol handler behind our auth and limits.

What we add to Strawberry's handler: the token check in ``connection_init`` (no token:
4401, bad or expired: 4403, too many connections of that token: 4429), an end of the
connection when the token expires (4403), our error code when a connection opens more
subscriptions than allowed, and messages of the wrong shape closed with 4400 instead of
reaching the handler's internals.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress
from typing import Any, cast

from aiohttp import web
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)

from app.errors import TOO_MANY_SUBSCRIPTIONS, ApiError
from app.identity import MissingCredentials, authorization_in, identify
from app.resources import TOKEN_VERIFIER
from app.subscriptions.connections import REGISTRY
from app.subscriptions.operation import ConnectionState

__all__ = ["CLOSE_EXPIRED", "VantaTransportWSHandler"]

log = logging.getLogger("vanta.transport.ws")

CLOSE_UNAUTHORIZED = (4401, "Unauthorized: send Authorization: Bearer <token>")
CLOSE_FORBIDDEN = (4403, "Forbidden: invalid token")
CLOSE_EXPIRED = (4403, "Forbidden: token expired")
CLOSE_TOO_MANY = (4429, "Too many connections for this token")
CLOSE_BAD_MESSAGE = (4400, "Invalid message")
MSG_TOO_MANY_SUBSCRIPTIONS = "A connection may hold at most {limit} subscriptions."


class VantaTransportWSHandler(BaseGraphQLTransportWSHandler[ConnectionState, None]):
    """Strawberry's graphql-transport-ws handler with our identity and limit stages."""

    _expiry_task: asyncio.Task[None] | None = None

    @property
    def state(self) -> ConnectionState:
        return cast("ConnectionState", self.context)

    async def handle(self) -> None:
        try:
            await super().handle()
        finally:
            if self._expiry_task is not None:
                self._expiry_task.cancel()
                with suppress(asyncio.CancelledError):
                    await self._expiry_task
            if self.state.subject is not None:
                self.state.request.app[REGISTRY].release(self.state.subject)
                self.state.subject = None

    async def handle_message(self, message: Message) -> None:
        raw: Any = message
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            await self._close(CLOSE_BAD_MESSAGE)
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload: Any = message.get("payload") or {}
        if self.connection_init_received or self.connection_timed_out:
            await super().handle_connection_init(message)  # 4429, as the protocol says
            return
        if not isinstance(payload, dict):
            await super().handle_connection_init(message)  # 4400
            return
        if self.connection_init_timeout_task is not None:
            self.connection_init_timeout_task.cancel()
        request = self.state.request
        header = authorization_in(payload)
        if header is None:
            header = request.headers.get("Authorization")
        try:
            identity = identify(request.app[TOKEN_VERIFIER], header)
        except MissingCredentials:
            await self._close(CLOSE_UNAUTHORIZED)
            return
        except ApiError:
            await self._close(CLOSE_FORBIDDEN)
            return
        if not request.app[REGISTRY].claim(identity.viewer.subject):
            await self._close(CLOSE_TOO_MANY)
            return
        self.state.subject = identity.viewer.subject
        self.state.viewer = identity.viewer
        self.state.expires_at = identity.expires_at
        self._expiry_task = asyncio.create_task(self._close_at_expiry(identity.expires_at))
        await super().handle_connection_init({"type": "connection_init", "payload": payload})

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        raw: Any = message
        payload = raw.get("payload")
        if (
            not isinstance(raw.get("id"), str)
            or not isinstance(payload, dict)
            or not isinstance(payload.get("query"), str)
            or not isinstance(payload.get("variables") or {}, dict)
            or not isinstance(payload.get("operationName") or "", str)
            or not isinstance(payload.get("extensions") or {}, dict)
        ):
            await self._close(CLOSE_BAD_MESSAGE)
            return
        if self.connection_acknowledged and time.time() >= self.state.expires_at:
            await self._close(CLOSE_EXPIRED)
            return
        limit = self.max_subscriptions_per_connection
        if (
            self.connection_acknowledged
            and limit is not None
            and raw["id"] not in self.operations
            and len(self.operations) >= limit
        ):
            error = {
                "message": MSG_TOO_MANY_SUBSCRIPTIONS.format(limit=limit),
                "extensions": {"code": TOO_MANY_SUBSCRIPTIONS},
            }
            await self.send_message(
                cast("Message", {"id": raw["id"], "type": "error", "payload": [error]})
            )
            return
        await super().handle_subscribe(message)

    async def _close_at_expiry(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))  # a timer, not a sync point
        await self._close(CLOSE_EXPIRED)

    async def _close(self, close: tuple[int, str]) -> None:
        code, reason = close
        await self.websocket.close(code=code, reason=reason)


def is_websocket_upgrade(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"
