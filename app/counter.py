"""A counter that coroutines can wait on: "resume once it reaches n", bumped from sync code."""

from __future__ import annotations

import asyncio

__all__ = ["WaitableCounter"]


class WaitableCounter:
    """Counts occurrences (reconnects, applied messages); ``wait(n)`` returns once value >= n.

    ``bump`` is synchronous, so callbacks that are not coroutines (asyncpg's notification
    handlers) can count without scheduling a task.
    """

    __slots__ = ("_waiters", "value")

    def __init__(self) -> None:
        self.value = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []

    def bump(self) -> None:
        self.value += 1
        still: list[tuple[int, asyncio.Future[None]]] = []
        for target, future in self._waiters:
            if future.done():
                continue
            if self.value >= target:
                future.set_result(None)
            else:
                still.append((target, future))
        self._waiters = still

    async def wait(self, target: int) -> None:
        if self.value >= target:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, future))
        await future
