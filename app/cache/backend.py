"""What a cache backend offers: bytes by key with a TTL, and tags to drop entries by."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

__all__ = ["BackendStats", "CacheBackend", "CacheUnavailable"]


@dataclass(frozen=True, slots=True)
class BackendStats:
    """What a backend knows of itself; None where it cannot know (e.g. Redis without maxmemory).

    ``evictions``: entries pushed out to stay within the budget (memory: this process's LRU;
    Redis: the server's ``evicted_keys``, every database and user of that server together).
    """

    entries: int
    bytes: int | None
    budget: int | None
    evictions: int | None


class CacheUnavailable(Exception):
    """The backend cannot answer now; callers execute instead (X-Cache: BYPASS)."""


class CacheBackend(Protocol):
    name: str

    async def get(self, key: str) -> tuple[bytes | None, int]:
        """(stored bytes or None when absent or expired, current invalidation generation)."""

    async def set(
        self,
        key: str,
        value: bytes,
        ttl: int,
        tags: Collection[str] = (),
        if_generation: int | None = None,
    ) -> bool:
        """Store ``value`` for ``ttl`` seconds, findable by each of ``tags``.

        With ``if_generation``, store only if no invalidation happened since ``get``
        returned that generation: a response computed before a mutation committed must
        not be stored after the mutation invalidated its tags. Returns whether it stored.
        """

    async def invalidate(self, tags: Collection[str], *, probe: bool = False) -> int:
        """Drop every entry carrying any of ``tags``; return how many were dropped.

        ``probe``: try the backend even while its circuit is open (a replay of lost
        invalidations must not wait out the circuit's window).
        """

    async def stats(self) -> BackendStats:
        """Entries, bytes, budget and evictions, as far as the backend knows them."""

    async def clear_all(self) -> int:
        """Drop every entry of this backend (only its own keys); return how many."""
