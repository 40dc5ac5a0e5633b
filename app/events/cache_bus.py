"""Cross-process invalidation of in-process response caches over PostgreSQL NOTIFY.

With Redis every worker shares one cache and this is not needed. With the in-process
backend each worker has its own: a mutation in one worker publishes the tags it
invalidated on ``vanta_cache_invalidate``, and every worker applies what it hears there
(from other workers and from the processing workers). A listener reconnect may have
missed some, so the whole in-process cache is cleared then. ``vanta cache clear`` reaches
one worker over HTTP; that worker publishes a clear here, and every other worker clears too.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Collection, Iterator
from datetime import datetime

import asyncpg
import orjson

from app.cache.backend import CacheUnavailable
from app.cache.memory import MemoryBackend
from app.cache.response_cache import ResponseCache
from app.counter import WaitableCounter
from app.db.listener import Listener
from app.db.processed import NOTIFY
from app.events.channels import CACHE_INVALIDATE, parse_invalidation

__all__ = ["InvalidationBus"]

log = logging.getLogger("vanta.events.cache_bus")

# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
MAX_PAYLOAD_BYTES = 7000


class InvalidationBus:
    """Publish local invalidations, apply remote ones, clear on listener reconnect.

    Example::

        bus = InvalidationBus(app[RESPONSE_CACHE], pool)
        bus.attach(listener)  # before listener.start()
    """

    def __init__(
        self, cache: ResponseCache, pool: asyncpg.Pool, acquire_timeout: float = 2.0
    ) -> None:
        self._cache = cache
        self._pool = pool
        self._acquire_timeout = acquire_timeout
        self.origin = uuid.uuid4().hex  # this process, so it skips its own messages
        self.applied = WaitableCounter()  # remote messages applied (tests wait on it)
        self.clears = WaitableCounter()  # whole-cache clears after a listener reconnect

    @property
    def _memory(self) -> MemoryBackend | None:
        backend = self._cache.backend
        return backend if isinstance(backend, MemoryBackend) else None

    def attach(self, listener: Listener) -> None:
        listener.add_channel(CACHE_INVALIDATE, self._received)
        listener.on_reconnect(self._reconnected)
        if self._memory is not None:
            self._cache.on_local_invalidation = self.publish
            self._cache.on_local_clear = self.publish_clear

    async def publish(self, tags: Collection[str]) -> None:
        """NOTIFY the other processes; a failure is logged (they converge within the TTL)."""
        if not tags:
            return
        if not await self._notify(list(self._payloads(sorted(tags)))):
            log.warning("could not publish %d cache invalidations", len(tags))

    async def publish_clear(self) -> None:
        """Tell the other processes to drop every entry; raises CacheUnavailable on failure
        (the caller asked for a clear of every worker and must hear it did not happen)."""
        payload = orjson.dumps({"tags": [], "clear": True, "origin": self.origin}).decode()
        if not await self._notify([payload]):
            raise CacheUnavailable("could not tell the other workers over PostgreSQL NOTIFY")

    async def _notify(self, payloads: list[str]) -> bool:
        try:
            async with asyncio.timeout(self._acquire_timeout):
                conn = await self._pool.acquire()
            try:
                for payload in payloads:
                    await conn.execute(NOTIFY, CACHE_INVALIDATE, payload)
            finally:
                await self._pool.release(conn)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("NOTIFY %s failed: %s", CACHE_INVALIDATE, error)
            return False
        return True

    def _payloads(self, tags: list[str]) -> Iterator[str]:
        """Payloads under PostgreSQL's size limit, each a contract message of its own."""
        chunk: list[str] = []
        size = 0
        for tag in tags:
            if chunk and size + len(tag) + 4 > MAX_PAYLOAD_BYTES:
                yield self._encode(chunk)
                chunk, size = [], 0
            chunk.append(tag)
            size += len(tag.encode()) + 4
        if chunk:
            yield self._encode(chunk)

    def _encode(self, tags: list[str]) -> str:
        return orjson.dumps({"tags": tags, "origin": self.origin}).decode()

    def _received(self, payload: str) -> None:
        parsed = parse_invalidation(payload)
        if parsed is None:
            log.warning("ignored a malformed %s payload: %.200s", CACHE_INVALIDATE, payload)
            return
        if parsed.origin == self.origin:
            return
        memory = self._memory
        # With replicas, each process drops the tags once more when replicas have caught up
        # (a shared Redis cache too: the processing workers invalidate only once).
        if not parsed.clear:
            self._cache.settle_later(parsed.tags)
        if memory is None:
            return
        if parsed.clear:
            memory.clear()  # bumps the generation too
        else:
            memory.invalidate_now(parsed.tags)  # bumps the generation: in-flight stores dropped
        self.applied.bump()

    async def _reconnected(self, _alive_until: datetime | None) -> None:
        memory = self._memory
        if memory is not None:
            dropped = memory.clear()
            log.warning("listener reconnected: cleared %d in-process cache entries", dropped)
        self.clears.bump()
