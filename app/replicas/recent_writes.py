"""Who wrote in the last few seconds: their reads go to the primary (read your writes).

The next request of a user may reach another process or host, so with Redis the mark is a
key there (``{prefix}rw:<blake2b of the subject>``, expiring after the window: no clock is
compared across hosts). Without Redis it is kept per process only: a user whose next
request lands on another worker may read from a replica that has not replayed the write
yet (documented in docs/scaling.md). Each process also keeps its own marks, so its own
users never depend on Redis answering.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

import redis.asyncio as redis
from redis.exceptions import RedisError

from app.cache.circuit import Circuit

__all__ = ["RecentWrites"]

log = logging.getLogger("vanta.replicas")

MAX_LOCAL_SUBJECTS = 100_000  # bounded: the oldest marks go first beyond it


class RecentWrites:
    """Marks per token subject, for ``window`` seconds.

    Example::

        recent = RecentWrites(5.0, redis_client, prefix="vanta:")
        await recent.record("alice")
        assert await recent.wrote_recently("alice")

    When Redis is configured but does not answer, ``wrote_recently`` says True: the read
    then goes to the primary, which is always right, only busier.
    """

    def __init__(
        self,
        window: float,
        client: redis.Redis | None = None,
        *,
        prefix: str = "vanta:",
        circuit: Circuit | None = None,
        max_local: int = MAX_LOCAL_SUBJECTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if window < 0:
            raise ValueError("window must not be negative (seconds; 0 turns it off)")
        self.window = window
        self._client = client
        self._prefix = f"{prefix}rw:"
        self._circuit = circuit or Circuit()
        self._max_local = max_local
        self._clock = clock
        self._local: OrderedDict[str, float] = OrderedDict()  # subject -> expiry, oldest first

    def _key(self, subject: str) -> str:
        return self._prefix + hashlib.blake2b(subject.encode(), digest_size=16).hexdigest()

    async def record(self, subject: str) -> None:
        """``subject`` just wrote (call before the write's response leaves)."""
        if self.window <= 0:
            return
        self._local.pop(subject, None)
        self._local[subject] = self._clock() + self.window
        self._prune()
        if self._client is None or not self._circuit.available():
            return
        try:
            await self._client.set(self._key(subject), b"1", px=max(1, int(self.window * 1000)))
        except (RedisError, OSError) as error:
            self._circuit.failed()
            log.warning("could not record a recent write in Redis: %s", error)
            return
        self._circuit.succeeded()

    async def wrote_recently(self, subject: str) -> bool:
        """Whether ``subject`` wrote within the window, in this process or (Redis) any."""
        if self.window <= 0:
            return False
        expiry = self._local.get(subject)
        if expiry is not None and expiry > self._clock():
            return True
        if self._client is None:
            return False
        if not self._circuit.available():
            return True
        try:
            found = await self._client.exists(self._key(subject))
        except (RedisError, OSError) as error:
            self._circuit.failed()
            log.warning("recent writes unknown (Redis: %s): reading from the primary", error)
            return True
        self._circuit.succeeded()
        return bool(found)

    def _prune(self) -> None:
        now = self._clock()
        local = self._local
        while local and (len(local) > self._max_local or next(iter(local.values())) <= now):
            local.popitem(last=False)
