"""In-process cache backend: LRU with per-entry TTL, a byte budget and a tag index."""

from __future__ import annotations

import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass

from app.cache.backend import BackendStats
from app.sizing import DICT_SLOT_OVERHEAD, exact_bytes, sizeof

__all__ = ["MemoryBackend"]

# A tag membership: its slot in the tag index's set, and its share of that set's table.
_TAG_OVERHEAD = 100


@dataclass(slots=True)
class _Entry:
    value: bytes
    expires_at: float
    tags: tuple[str, ...]
    size: int


class MemoryBackend:
    """The embedded default: one process, bounded by ``max_bytes``, least recently used out.

    Example::

        cache = MemoryBackend(max_bytes=64 * 1024 * 1024)
        await cache.set("k", b"{}", ttl=60, tags=["Company:1:documents"])
    """

    name = "memory"

    def __init__(self, max_bytes: int, clock: Callable[[], float] = time.monotonic) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must not be negative")
        self.max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._by_tag: dict[str, set[str]] = {}
        self.size = 0
        self.generation = 0  # bumped by every invalidation
        self.evictions = 0  # entries pushed out by the byte budget (not expiries, not drops)

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> tuple[bytes | None, int]:
        entry = self._entries.get(key)
        if entry is None:
            return None, self.generation
        if entry.expires_at <= self._clock():
            self._drop(key)
            return None, self.generation
        self._entries.move_to_end(key)
        return entry.value, self.generation

    async def set(
        self,
        key: str,
        value: bytes,
        ttl: int,
        tags: Collection[str] = (),
        if_generation: int | None = None,
    ) -> bool:
        if ttl <= 0 or (if_generation is not None and if_generation != self.generation):
            return False
        # What this entry really holds (see app/sizing.py): an exact-size copy of the
        # value, the key, the entry and its tags (interned, so the index shares them).
        tag_tuple = tuple(sys.intern(tag) for tag in tags)
        value = exact_bytes(value)
        entry = _Entry(value, self._clock() + ttl, tag_tuple, 0)
        size = (
            sizeof(key, value, entry, tag_tuple, *tag_tuple)
            + DICT_SLOT_OVERHEAD
            + _TAG_OVERHEAD * len(tag_tuple)
        )
        entry.size = size
        if size > self.max_bytes:
            return False  # larger than the whole budget: never worth evicting everything
        if key in self._entries:
            self._drop(key)
        self._entries[key] = entry
        self.size += size
        for tag in entry.tags:
            self._by_tag.setdefault(tag, set()).add(key)
        while self.size > self.max_bytes:
            oldest = next(iter(self._entries))
            self._drop(oldest)
            self.evictions += 1
        return True

    async def invalidate(self, tags: Collection[str], *, probe: bool = False) -> int:
        return self.invalidate_now(tags)

    def invalidate_now(self, tags: Collection[str]) -> int:
        """``invalidate`` without awaiting (for notification callbacks)."""
        self.generation += 1
        dropped = 0
        for tag in tags:
            for key in self._by_tag.pop(tag, set()):
                if key in self._entries:
                    self._drop(key)
                    dropped += 1
        return dropped

    def clear(self) -> int:
        """Drop everything (invalidations may have been missed); return how many entries."""
        self.generation += 1
        dropped = len(self._entries)
        self._entries.clear()
        self._by_tag.clear()
        self.size = 0
        return dropped

    async def stats(self) -> BackendStats:
        return BackendStats(len(self._entries), self.size, self.max_bytes, self.evictions)

    async def clear_all(self) -> int:
        return self.clear()

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key)
        self.size -= entry.size
        for tag in entry.tags:
            keys = self._by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_tag[tag]
