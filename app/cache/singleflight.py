"""Single flight: identical concurrent cache misses execute once per process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["SingleFlight"]

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """The first caller for a key runs ``work``; callers arriving meanwhile await its result.

    Example::

        flight: SingleFlight[bytes] = SingleFlight()
        body, shared = await flight.run(key, execute)
    """

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Future[T]] = {}

    def __len__(self) -> int:
        return len(self._running)

    async def run(self, key: str, work: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """(result, shared): ``shared`` is True for callers that reused another's result."""
        running = self._running.get(key)
        if running is not None:
            return await asyncio.shield(running), True
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        # A failure nobody else awaited must not be reported as "never retrieved".
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._running[key] = future
        try:
            result = await work()
        except BaseException as error:
            future.set_exception(error)
            raise
        else:
            future.set_result(result)
            return result, False
        finally:
            del self._running[key]
