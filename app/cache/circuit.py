"""A circuit breaker for Redis: after a failure, skip it for a while instead of waiting on it."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Circuit"]


class Circuit:
    """Closed (use the dependency) until a failure; then open for ``retry_after`` seconds.

    While open, callers fall back at once (no timeout paid per request); the first call
    after the window tries again, so recovery needs no restart.

    Example::

        if circuit.available():
            try:
                value = await redis.get(key)
                circuit.succeeded()
            except RedisError:
                circuit.failed()
    """

    def __init__(
        self, retry_after: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if retry_after < 0:
            raise ValueError("retry_after must not be negative (0: retry on every call)")
        self._retry_after = retry_after
        self._clock = clock
        self._open_until = 0.0

    def available(self) -> bool:
        return self._clock() >= self._open_until

    def failed(self) -> None:
        self._open_until = self._clock() + self._retry_after

    def succeeded(self) -> None:
        self._open_until = 0.0
