"""The in-process limiter: GCRA in one dict whose size has a hard cap, whatever the traffic.

Used when Redis is not configured or not answering. Each tracked client costs one dict entry:
a 60-bit digest of its key and one int packing its TATs (milliseconds since the limiter
started, 40 bits each; the longest-lived quota in the top bits, so expiry is one shift). At ``max_keys`` the least recently seen clients are dropped after
expired ones; a dropped client simply starts again with a full budget.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from hashlib import blake2b
from itertools import islice

from app.ratelimit.policy import Decision, Quota, decide

__all__ = ["InProcessLimiter", "key_digest"]

_BITS = 40  # per TAT, in milliseconds: about 34 years of uptime
_MASK = (1 << _BITS) - 1
_EVICT_FRACTION = 0.1  # when full and nothing expired, drop this share of the oldest


def key_digest(key: str) -> int:
    """A stable 60-bit digest (never ``hash()``: it varies between processes).

    60 bits keep the int at 32 bytes; a collision among 10^5 keys has odds of about 10^-8.
    """
    return int.from_bytes(blake2b(key.encode(), digest_size=8).digest(), "big") >> 4


class InProcessLimiter:
    """Bounded-memory GCRA limiter for one process.

    Example::

        limiter = InProcessLimiter(quotas_from(settings), max_keys=32_768)
        decision = limiter.hit("ip:203.0.113.7")

    Args:
        quotas: the windows every client must stay within.
        max_keys: hard cap on tracked clients.
        sweep_seconds: how often expired clients are swept out during ``hit``.
        clock: monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        quotas: Sequence[Quota],
        *,
        max_keys: int = 32_768,
        sweep_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not quotas:
            raise ValueError("quotas must not be empty")
        if max_keys < 1:
            raise ValueError(f"max_keys must be >= 1, got {max_keys}")
        # A quota with a longer interval always has the later TAT: it goes last (top bits).
        self.quotas = tuple(sorted(quotas, key=lambda quota: quota.interval_us))
        self._expiry_shift = _BITS * (len(self.quotas) - 1)
        self.max_keys = max_keys
        self._sweep_ms = int(sweep_seconds * 1000)
        self._clock = clock
        self._epoch = clock()
        self._last_sweep_ms = 0
        self._state: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._state)

    def memory_bytes(self) -> int:
        """Bytes held by the tracked state: the dict plus its key and value ints."""
        return sys.getsizeof(self._state) + sum(
            sys.getsizeof(digest) + sys.getsizeof(packed) for digest, packed in self._state.items()
        )

    def _now_ms(self) -> int:
        return int((self._clock() - self._epoch) * 1000)

    def hit(self, key: str) -> Decision:
        """Count one request of ``key`` and say whether it may proceed."""
        now_ms = self._now_ms()
        if now_ms - self._last_sweep_ms >= self._sweep_ms:
            self.sweep(now_ms)
        digest = key_digest(key)
        packed = self._state.pop(digest, 0)
        tats = [((packed >> (_BITS * i)) & _MASK) * 1000 for i in range(len(self.quotas))]
        decision, new_tats = decide(self.quotas, now_ms * 1000, tats)
        if new_tats is None:
            self._state[digest] = packed  # refused: unchanged, but recently seen
            return decision
        if len(self._state) >= self.max_keys:
            self._make_room(now_ms)
        value = 0
        for i, tat_us in enumerate(new_tats):
            value |= (-(-tat_us // 1000) & _MASK) << (_BITS * i)  # round up: never lenient
        self._state[digest] = value
        return decision

    def sweep(self, now_ms: int | None = None) -> int:
        """Drop clients whose every quota is whole again; return how many were dropped."""
        now_ms = self._now_ms() if now_ms is None else now_ms
        self._last_sweep_ms = now_ms
        shift = self._expiry_shift
        expired = [digest for digest, packed in self._state.items() if packed >> shift <= now_ms]
        for digest in expired:
            del self._state[digest]
        return len(expired)

    def _make_room(self, now_ms: int) -> None:
        if self.sweep(now_ms) >= self.max_keys * _EVICT_FRACTION:
            return
        oldest = list(islice(self._state, max(1, int(self.max_keys * _EVICT_FRACTION))))
        for digest in oldest:
            del self._state[digest]
