"""One dedicated PostgreSQL connection per process that LISTENs on several channels.

NOTIFY only reaches sessions that are listening at commit time, so a dropped connection
loses events. The listener reconnects by itself (exponential back-off), re-issues every
LISTEN, and then calls the on-reconnect callbacks with the database time up to which the
old connection was known to be listening: callers use it to recover what they missed
(replay from a watermark, clear a cache). A periodic health query on the connection
notices a peer that vanished without closing TCP, and advances that time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime

import asyncpg

from app.counter import WaitableCounter

__all__ = ["Listener", "NotificationHandler", "ReconnectHandler"]

log = logging.getLogger("vanta.listener")

NotificationHandler = Callable[[str], None]
# Called after a reconnect with the last database time the previous connection was alive.
ReconnectHandler = Callable[[datetime | None], Awaitable[None]]

_CONNECT_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Listener:
    """LISTEN on ``channels`` over one connection; handlers run for every NOTIFY payload.

    Example::

        listener = Listener(dsn)
        listener.add_channel("vanta_cache_invalidate", on_payload)
        listener.on_reconnect(recover)
        await listener.start(wait_seconds=3)
        ...
        await listener.close()

    Args:
        dsn: PostgreSQL DSN (the same server the pool uses).
        connect_timeout: bound on one connection attempt.
        health_interval: seconds between health queries on an idle connection.
        min_backoff, max_backoff: delay between failed attempts, doubling up to the max.
    """

    def __init__(
        self,
        dsn: str,
        *,
        connect_timeout: float = 3.0,
        health_interval: float = 5.0,
        min_backoff: float = 0.05,
        max_backoff: float = 5.0,
    ) -> None:
        if health_interval <= 0:
            raise ValueError(f"health_interval must be > 0, got {health_interval}")
        if not 0 < min_backoff <= max_backoff:
            raise ValueError("need 0 < min_backoff <= max_backoff")
        self._dsn = dsn
        self._connect_timeout = connect_timeout
        self._health_interval = health_interval
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._handlers: dict[str, list[NotificationHandler]] = {}
        self._reconnect_handlers: list[ReconnectHandler] = []
        self._task: asyncio.Task[None] | None = None
        self._connection: asyncpg.Connection | None = None
        # Successful connects so far (1 after start, +1 per reconnect); tests wait on it.
        self.connections = WaitableCounter()
        self.alive_until: datetime | None = None  # database clock at the last health check
        self.pid: int | None = None  # backend pid of the current connection

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed()

    def add_channel(self, channel: str, handler: NotificationHandler) -> None:
        """Call ``handler(payload)`` for every notification on ``channel``."""
        if self._task is not None:
            raise RuntimeError("add channels before start()")
        self._handlers.setdefault(channel, []).append(handler)

    def on_reconnect(self, handler: ReconnectHandler) -> None:
        self._reconnect_handlers.append(handler)

    async def start(self, wait_seconds: float = 0.0) -> bool:
        """Start the connection loop; wait up to ``wait_seconds`` for the first LISTEN.

        Returns whether the listener is connected; if not, it keeps trying in the background.
        """
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="vanta-listener")
        if wait_seconds > 0:
            with suppress(TimeoutError):
                await asyncio.wait_for(self.wait_for_connection(1), wait_seconds)
        return self.connected

    async def wait_for_connection(self, count: int) -> None:
        """Return once ``count`` connections have been made (tests, start-up)."""
        await self.connections.wait(count)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        backoff = self._min_backoff
        while True:
            try:
                conn = await asyncpg.connect(self._dsn, timeout=self._connect_timeout)
            except _CONNECT_ERRORS as error:
                log.warning("listener: cannot connect (%s); retrying in %.2f s", error, backoff)
                await asyncio.sleep(backoff)  # back-off between attempts, not synchronisation
                backoff = min(backoff * 2, self._max_backoff)
                continue
            try:
                await self._serve(conn)
                backoff = self._min_backoff
            except _CONNECT_ERRORS as error:
                log.warning("listener: connection lost (%s)", error)
            finally:
                self._connection = None
                conn.terminate()

    async def _serve(self, conn: asyncpg.Connection) -> None:
        """LISTEN, report the (re)connect, then watch the connection until it is lost."""
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        for channel in self._handlers:
            await conn.add_listener(channel, self._dispatch)
        previous_alive = self.alive_until
        now = await conn.fetchval("SELECT clock_timestamp()")
        self._connection = conn
        self.pid = conn.get_server_pid()
        reconnect = self.connections.value > 0
        if reconnect:
            log.warning("listener: reconnected (backend pid %s)", self.pid)
            for handler in self._reconnect_handlers:
                try:
                    await handler(previous_alive)
                except Exception:
                    log.exception("listener: on-reconnect handler failed")
        self.alive_until = now
        self.connections.bump()
        while not lost.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), self._health_interval)
            if lost.is_set() or conn.is_closed():
                break
            try:
                self.alive_until = await conn.fetchval(
                    "SELECT clock_timestamp()", timeout=self._connect_timeout
                )
            except _CONNECT_ERRORS as error:
                log.warning("listener: health check failed (%s)", error)
                break
        log.warning("listener: connection lost; reconnecting")

    def _dispatch(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        for handler in self._handlers.get(channel, ()):
            try:
                handler(payload)
            except Exception:
                log.exception("listener: handler for %s failed", channel)
