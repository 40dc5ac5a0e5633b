"""The response cache as the HTTP layer uses it: look up, store, invalidate, never fail.

Backend trouble never fails a request: lookups become BYPASS and execution proceeds.
An invalidation that could not reach the backend is kept and replayed before this
process serves any hit again, so a client never reads its own write stale after an
outage. It is also replayed by a background task as soon as the backend answers again
(probing every ``replay_interval`` seconds, past the circuit): other processes read the
shared backend directly, and this process may get no request for a long time, so
waiting for its next lookup would let them serve the pre-mutation answer meanwhile.

With read replicas (``settle_seconds`` > 0) every invalidation is applied once more after
that long: a query that read a replica not yet past the write may have stored the old
answer after the first one. ``settle_seconds`` covers the largest lag a usable replica can
have, and a store whose lookup came before the second invalidation is refused by the
generation check, so no stale entry outlives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.cache.backend import BackendStats, CacheBackend, CacheUnavailable
from app.cache.singleflight import SingleFlight
from app.codings import EncodedBody, pack, unpack
from app.counter import WaitableCounter

__all__ = ["CacheStatus", "Lookup", "LookupCounts", "ResponseCache"]

log = logging.getLogger("vanta.cache")

_UNPACKED_ENTRIES = 64  # hot entries whose unpacked form is kept (they share the stored bytes)
REPLAY_INTERVAL_SECONDS = 0.1  # well under the 1 s a stale answer may outlive an outage


class CacheStatus(StrEnum):
    HIT = "HIT"
    MISS = "MISS"
    BYPASS = "BYPASS"


@dataclass(frozen=True, slots=True)
class Lookup:
    status: CacheStatus
    body: bytes | None = None
    generation: int = 0


@dataclass(slots=True)
class LookupCounts:
    """Lookups this process answered, by outcome (since start; per process, whatever backend)."""

    hits: int = 0
    misses: int = 0
    bypasses: int = 0


class ResponseCache:
    """Wraps a backend (None: caching off) with bypass-on-failure and pending invalidations.

    With ``precompress`` an entry is stored with its gzip and br forms (``app.codings``), so a
    hit is sent compressed without compressing again.
    """

    def __init__(
        self,
        backend: CacheBackend | None,
        *,
        precompress: bool = False,
        replay_interval: float = REPLAY_INTERVAL_SECONDS,
        settle_seconds: float = 0.0,
    ) -> None:
        if replay_interval <= 0:
            raise ValueError("replay_interval must be positive (seconds between replays)")
        if settle_seconds < 0:
            raise ValueError("settle_seconds must not be negative (0: no second invalidation)")
        self.settle_seconds = settle_seconds
        self._settling: set[asyncio.TimerHandle] = set()
        self.settled = WaitableCounter()  # second invalidations applied (tests wait on it)
        self.backend = backend
        self.precompress = precompress
        # The in-process backend hands back the same stored object on every hit: its unpacked
        # form is kept here (keyed by cache key, checked by identity), so a hit does not copy
        # the body out of the packed entry again. Redis hits are new objects: unpacked each time.
        self._unpacked: OrderedDict[str, tuple[bytes, EncodedBody]] = OrderedDict()
        self.flight: SingleFlight[Any] = SingleFlight()
        self._pending: set[str] = set()
        # Set by app/events/cache_bus.py: tells other processes of this process's invalidations.
        self.on_local_invalidation: Callable[[Collection[str]], Awaitable[None]] | None = None
        # Set by app/events/cache_bus.py too: tells other processes to clear their own store.
        self.on_local_clear: Callable[[], Awaitable[None]] | None = None
        self.counts = LookupCounts()
        self._replay_interval = replay_interval
        self._replay: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """How many invalidated tags have not reached the backend yet."""
        return len(self._pending)

    async def close(self) -> None:
        """Stop the background replay and the second invalidations (at shutdown; what is
        pending then is lost)."""
        for handle in self._settling:
            handle.cancel()
        self._settling.clear()
        if self._replay is not None:
            self._replay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._replay
            self._replay = None

    async def lookup(self, key: str) -> Lookup:
        """HIT with the stored bytes, MISS with the generation to store under, or BYPASS."""
        counts = self.counts
        if self.backend is None or not await self._flush_pending():
            counts.bypasses += 1
            return Lookup(CacheStatus.BYPASS)
        try:
            value, generation = await self.backend.get(key)
        except CacheUnavailable:
            counts.bypasses += 1
            return Lookup(CacheStatus.BYPASS)
        if value is None:
            counts.misses += 1
            return Lookup(CacheStatus.MISS, generation=generation)
        counts.hits += 1
        return Lookup(CacheStatus.HIT, body=self._unpack(key, value))

    async def stats(self) -> BackendStats | None:
        """The backend's own figures; None when caching is off. Raises CacheUnavailable."""
        return None if self.backend is None else await self.backend.stats()

    async def clear(self) -> int:
        """Drop every entry (and tell other processes to, when each has its own store).

        Returns how many entries this process's backend dropped. Raises CacheUnavailable.
        """
        if self.backend is None:
            return 0
        dropped = await self.backend.clear_all()
        self._unpacked.clear()
        if self.on_local_clear is not None:
            await self.on_local_clear()
        return dropped

    def encoded(self, body: bytes) -> bytes:
        """``body`` as it will be stored: with its compressed forms when ``precompress``.

        The caller sends this same object, so a miss is compressed once, for the entry and
        for its own response alike (app/http/compression.py uses the stored forms).
        """
        return EncodedBody.of(body) if self.precompress else body

    async def store(
        self, key: str, body: bytes, ttl: int, tags: Collection[str], generation: int
    ) -> bool:
        """Store unless an invalidation happened since the lookup (then the body may be stale).

        ``body`` is what ``encoded`` returned (a plain body is encoded here).
        """
        if self.backend is None or self._pending:
            return False
        if self.precompress:
            stored = pack(body if isinstance(body, EncodedBody) else EncodedBody.of(body))
        else:
            stored = body
        try:
            return await self.backend.set(key, stored, ttl, tags, if_generation=generation)
        except CacheUnavailable:
            log.warning("response cache unavailable: entry not stored")
            return False

    def _unpack(self, key: str, value: bytes) -> EncodedBody:
        known = self._unpacked.get(key)
        if known is not None and known[0] is value:
            self._unpacked.move_to_end(key)
            return known[1]
        encoded = unpack(value)
        self._unpacked[key] = (value, encoded)
        if len(self._unpacked) > _UNPACKED_ENTRIES:
            self._unpacked.popitem(last=False)
        return encoded

    async def invalidate(self, tags: Collection[str]) -> None:
        """Drop entries tagged with any of ``tags`` before the mutation's response leaves."""
        if self.backend is None or not tags:
            return
        self._pending.update(tags)
        await self._flush_pending()
        self.settle_later(tags)
        if self.on_local_invalidation is not None:
            await self.on_local_invalidation(tags)

    def settle_later(self, tags: Collection[str]) -> None:
        """Invalidate ``tags`` again after ``settle_seconds`` (with replicas; else nothing).

        Also called for invalidations this process hears from others (app/events/cache_bus.py).
        """
        if self.backend is None or self.settle_seconds <= 0 or not tags:
            return
        loop = asyncio.get_running_loop()
        frozen = frozenset(tags)

        def fire() -> None:
            self._settling.discard(handle)
            self._pending.update(frozen)
            task = loop.create_task(self._flush_pending())
            task.add_done_callback(self._settled)

        handle = loop.call_later(self.settle_seconds, fire)
        self._settling.add(handle)

    def _settled(self, task: asyncio.Task[bool]) -> None:
        if not task.cancelled() and task.exception() is None:
            self.settled.bump()

    async def _flush_pending(self, *, probe: bool = False) -> bool:
        if not self._pending:
            return True
        assert self.backend is not None
        tags = set(self._pending)
        try:
            await self.backend.invalidate(tags, probe=probe)
        except CacheUnavailable:
            if not probe:
                log.warning("response cache unavailable: %d invalidations pending", len(tags))
            self._start_replay()
            return False
        self._pending -= tags
        if probe:
            log.info("response cache: %d pending invalidations replayed", len(tags))
        return True

    def _start_replay(self) -> None:
        if self._replay is None or self._replay.done():
            self._replay = asyncio.get_running_loop().create_task(self._replay_until_delivered())

    async def _replay_until_delivered(self) -> None:
        """Probe the backend until every pending invalidation reached it."""
        while self._pending:
            await asyncio.sleep(self._replay_interval)
            try:
                await self._flush_pending(probe=True)
            except Exception:  # never let the replay die silently while tags are pending
                log.exception("response cache: replay of pending invalidations failed")
