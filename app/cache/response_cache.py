"""The response cache as the HTTP layer uses it: look up, store, invalidate, never fail.

Backend trouble never fails a request: lookups become BYPASS and execution proceeds.
An invalidation that could not reach the backend is kept and replayed before this
process serves any hit again, so a client never reads its own write stale after an
outage.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.cache.backend import CacheBackend, CacheUnavailable
from app.cache.singleflight import SingleFlight

__all__ = ["CacheStatus", "Lookup", "ResponseCache"]

log = logging.getLogger("vanta.cache")


class CacheStatus(StrEnum):
    HIT = "HIT"
    MISS = "MISS"
    BYPASS = "BYPASS"


@dataclass(frozen=True, slots=True)
class Lookup:
    status: CacheStatus
    body: bytes | None = None
    generation: int = 0


class ResponseCache:
    """Wraps a backend (None: caching off) with bypass-on-failure and pending invalidations."""

    def __init__(self, backend: CacheBackend | None) -> None:
        self.backend = backend
        self.flight: SingleFlight[Any] = SingleFlight()
        self._pending: set[str] = set()
        # Set by app/cache/bus.py: tells other processes of this process's invalidations.
        self.on_local_invalidation: Callable[[Collection[str]], Awaitable[None]] | None = None

    async def lookup(self, key: str) -> Lookup:
        """HIT with the stored bytes, MISS with the generation to store under, or BYPASS."""
        if self.backend is None or not await self._flush_pending():
            return Lookup(CacheStatus.BYPASS)
        try:
            value, generation = await self.backend.get(key)
        except CacheUnavailable:
            return Lookup(CacheStatus.BYPASS)
        if value is None:
            return Lookup(CacheStatus.MISS, generation=generation)
        return Lookup(CacheStatus.HIT, body=value)

    async def store(
        self, key: str, body: bytes, ttl: int, tags: Collection[str], generation: int
    ) -> bool:
        """Store unless an invalidation happened since the lookup (then the body may be stale)."""
        if self.backend is None or self._pending:
            return False
        try:
            return await self.backend.set(key, body, ttl, tags, if_generation=generation)
        except CacheUnavailable:
            log.warning("response cache unavailable: entry not stored")
            return False

    async def invalidate(self, tags: Collection[str]) -> None:
        """Drop entries tagged with any of ``tags`` before the mutation's response leaves."""
        if self.backend is None or not tags:
            return
        self._pending.update(tags)
        await self._flush_pending()
        if self.on_local_invalidation is not None:
            await self.on_local_invalidation(tags)

    async def _flush_pending(self) -> bool:
        if not self._pending:
            return True
        assert self.backend is not None
        tags = set(self._pending)
        try:
            await self.backend.invalidate(tags)
        except CacheUnavailable:
            log.warning("response cache unavailable: %d invalidations pending", len(tags))
            return False
        self._pending -= tags
        return True
