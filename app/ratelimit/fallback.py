"""Redis first, the in-process limiter while Redis is away: a small circuit breaker.

A failed Redis call opens the circuit for ``retry_seconds``; during that time every request is
limited in-process without touching Redis (no per-request timeout while Redis is down). The
first request after the interval tries Redis again, so recovery needs no restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from redis.exceptions import RedisError

from app.ratelimit.memory import InProcessLimiter
from app.ratelimit.policy import Decision
from app.ratelimit.redis_gcra import RedisLimiter

__all__ = ["FallbackLimiter"]

log = logging.getLogger("vanta.ratelimit")


class FallbackLimiter:
    """What the middleware calls: ``await limiter.hit(key)``.

    Args:
        local: the in-process limiter (always present).
        shared: the Redis limiter, or None without Redis; set by the Redis cleanup context.
        timeout_seconds: bound on one Redis call.
        retry_seconds: how long to stay on the local limiter after a Redis failure.
        clock: monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        local: InProcessLimiter,
        shared: RedisLimiter | None = None,
        *,
        timeout_seconds: float = 0.25,
        retry_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.local = local
        self.shared = shared
        self._timeout = timeout_seconds
        self._retry = retry_seconds
        self._clock = clock
        self._open_until: float | None = None  # None: circuit closed (Redis in use)

    @property
    def using_redis(self) -> bool:
        """True while requests are limited through Redis."""
        return self.shared is not None and self._open_until is None

    async def hit(self, key: str) -> Decision:
        shared = self.shared
        if shared is not None and (self._open_until is None or self._clock() >= self._open_until):
            try:
                async with asyncio.timeout(self._timeout):
                    decision = await shared.hit(key)
            except (RedisError, OSError, TimeoutError) as error:
                if self._open_until is None:
                    log.warning("rate limiter: Redis failed (%s); limiting in-process", error)
                self._open_until = self._clock() + self._retry
            else:
                if self._open_until is not None:
                    log.warning("rate limiter: Redis is back; limiting through Redis again")
                    self._open_until = None
                return decision
        return self.local.hit(key)
