"""Connection limits of the subscription transports, and the open sockets to close at shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from aiohttp import WSCloseCode, web

from app.counter import WaitableCounter
from app.events.metrics import RealtimeMetrics

__all__ = ["OPEN_SOCKET", "REGISTRY", "ConnectionRegistry"]

log = logging.getLogger("vanta.transport")

MSG_SHUTDOWN = "Server shutting down"


class ConnectionRegistry:
    """Counts connections per process and per token subject; tracks open WebSockets.

    Example::

        registry = ConnectionRegistry(max_total=5000, max_per_subject=10)
        if not registry.open("ws"):
            ...  # 503
        try:
            if registry.claim(viewer.subject): ...
        finally:
            registry.close("ws")
    """

    def __init__(
        self, max_total: int, max_per_subject: int, metrics: RealtimeMetrics | None = None
    ) -> None:
        if max_total < 1 or max_per_subject < 1:
            raise ValueError("max_total and max_per_subject must be >= 1")
        self.max_total = max_total
        self.max_per_subject = max_per_subject
        self._metrics = metrics
        self.total = 0
        self._subjects: Counter[str] = Counter()
        self.websockets: set[web.WebSocketResponse] = set()
        self.closing = False
        self.closed = WaitableCounter()  # connections ended so far (tests wait on it)

    def open(self, transport: str) -> bool:
        """Take a process slot; False when the process is full or shutting down."""
        if self.closing or self.total >= self.max_total:
            return False
        self.total += 1
        if self._metrics is not None:
            self._metrics.connections.labels(transport).inc()
        return True

    def close(self, transport: str) -> None:
        self.total -= 1
        if self._metrics is not None:
            self._metrics.connections.labels(transport).dec()
        self.closed.bump()

    def claim(self, subject: str) -> bool:
        """Take one of the subject's slots; False when it holds the maximum already."""
        if self._subjects[subject] >= self.max_per_subject:
            return False
        self._subjects[subject] += 1
        return True

    def release(self, subject: str) -> None:
        self._subjects[subject] -= 1
        if self._subjects[subject] <= 0:
            del self._subjects[subject]

    def per_subject(self, subject: str) -> int:
        return self._subjects.get(subject, 0)

    async def shutdown(self) -> None:
        """Refuse new connections and close open WebSockets with 1001 (going away)."""
        self.closing = True
        sockets = list(self.websockets)
        if sockets:
            log.info("closing %d WebSocket connections for shutdown", len(sockets))
        await asyncio.gather(
            *(
                ws.close(code=WSCloseCode.GOING_AWAY, message=MSG_SHUTDOWN.encode())
                for ws in sockets
            ),
            return_exceptions=True,
        )


REGISTRY = web.AppKey("subscription_connections", ConnectionRegistry)
OPEN_SOCKET = web.RequestKey("open_socket", web.WebSocketResponse)
