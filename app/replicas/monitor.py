"""The replicas of one process: their pools, a background poll of state and lag, the pick.

Lag is measured every ``poll_seconds`` (never per request): the primary's WAL position,
then each replica's replay position and last replayed commit (app.replicas.lag). A read a
replica fails marks it down at once; the next successful poll brings it back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Sequence

import asyncpg

from app.db.pool import create_pool
from app.db.session import UNAVAILABLE
from app.replicas.lag import WalSamples
from app.replicas.replica import Replica, ReplicaState, dsn_label

__all__ = ["ReplicaSet"]

log = logging.getLogger("vanta.replicas")

PRIMARY_LSN = "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint"
# CASE: the recovery functions raise on a server that is not in recovery.
REPLICA_PROBE = """
SELECT pg_is_in_recovery() AS in_recovery,
       CASE WHEN pg_is_in_recovery()
            THEN (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint END AS replay_lsn,
       CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END AS paused,
       extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS replay_age
"""


class ReplicaSet:
    """Replicas in configuration order; ``pick`` goes round robin over the usable ones.

    Recommended use::

        replicas = await ReplicaSet.open(primary_pool, urls, max_lag=5, poll_seconds=1)
        replicas.start()
        try:
            ...  # replicas.pick(), replicas.failed(pool, error)
        finally:
            await replicas.close()
    """

    def __init__(
        self,
        primary: asyncpg.Pool,
        replicas: Sequence[Replica],
        *,
        max_lag: float,
        poll_seconds: float,
        probe_timeout: float = 3.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_lag <= 0:
            raise ValueError("max_lag must be positive (seconds)")
        if poll_seconds <= 0:
            raise ValueError("poll_seconds must be positive (seconds between polls)")
        self.primary = primary
        self.replicas = list(replicas)
        self.max_lag = max_lag
        self.poll_seconds = poll_seconds
        self._probe_timeout = probe_timeout
        self._clock = clock
        # Enough history to bound a lag of several times max_lag.
        self._samples = WalSamples(keep=max(16, math.ceil(4 * max_lag / poll_seconds) + 2))
        self._by_pool = {id(replica.pool): replica for replica in self.replicas}
        self._next = 0
        self._task: asyncio.Task[None] | None = None
        self.polls = 0  # completed poll rounds (tests wait on it)

    @classmethod
    async def open(
        cls,
        primary: asyncpg.Pool,
        urls: Sequence[str],
        *,
        max_lag: float,
        poll_seconds: float,
        pool_max: int = 10,
        statement_timeout_ms: int = 0,
        connect_timeout: float = 3.0,
    ) -> ReplicaSet:
        """Pools for ``urls`` (none opened yet: a replica that is down must not stop start-up)."""
        replicas = []
        for index, url in enumerate(urls):
            name = f"replica-{index}"
            pool = await create_pool(
                url,
                min_size=0,
                max_size=pool_max,
                statement_timeout_ms=statement_timeout_ms,
                connect_timeout=connect_timeout,
                application_name=f"vanta-{name}",
            )
            replicas.append(Replica(name, dsn_label(url), pool))
        return cls(
            primary,
            replicas,
            max_lag=max_lag,
            poll_seconds=poll_seconds,
            probe_timeout=connect_timeout,
        )

    def pick(self) -> Replica | None:
        """The next usable replica in round-robin order, None when none is usable."""
        count = len(self.replicas)
        for step in range(count):
            replica = self.replicas[(self._next + step) % count]
            if replica.usable:
                self._next = (self._next + step + 1) % count
                return replica
        return None

    def failed(self, pool: asyncpg.Pool, error: BaseException) -> None:
        """A read on ``pool`` failed and went to the primary: a replica that is down is
        skipped from now on; one that cancelled a query to apply WAL stays in use."""
        replica = self._by_pool.get(id(pool))
        if replica is None:
            return
        replica.fallbacks += 1
        if isinstance(error, UNAVAILABLE) and replica.state is not ReplicaState.DOWN:
            replica.state = ReplicaState.DOWN
            replica.error = _describe(error)
            log.warning("%s (%s) failed a read, now down: %s", replica.name, replica.host, error)

    def start(self) -> None:
        """Poll in the background until ``close``."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._poll_forever())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await asyncio.gather(*(replica.pool.close() for replica in self.replicas))

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)  # the polling period, not a wait for a condition
            try:
                await self.poll()
            except Exception:  # the poll must outlive any one bad round
                log.exception("replica poll failed")

    async def poll(self) -> None:
        """One round: sample the primary, then probe every replica concurrently."""
        try:
            async with asyncio.timeout(self._probe_timeout):
                lsn = await self.primary.fetchval(PRIMARY_LSN)
            self._samples.add(self._clock(), int(lsn))
        except (*UNAVAILABLE, asyncpg.PostgresError) as error:
            # Without the primary's position the bound only grows (the samples age).
            log.warning("replica poll: primary WAL position unavailable: %s", error)
        await asyncio.gather(*(self._probe(replica) for replica in self.replicas))
        self.polls += 1

    async def _probe(self, replica: Replica) -> None:
        try:
            async with asyncio.timeout(self._probe_timeout):
                row = await replica.pool.fetchrow(REPLICA_PROBE)
        except (*UNAVAILABLE, asyncpg.PostgresError) as error:
            if replica.state is not ReplicaState.DOWN:
                log.warning("%s (%s) is down: %s", replica.name, replica.host, error)
            replica.state = ReplicaState.DOWN
            replica.error = _describe(error)
            return
        assert row is not None
        replica.in_recovery = row["in_recovery"]
        replica.replay_paused = row["paused"]
        replica.error = None
        if not row["in_recovery"]:
            lag = 0.0  # not a standby: its data is current
        else:
            lag = self._samples.lag(self._clock(), row["replay_lsn"], row["replay_age"])
        replica.lag_seconds = lag
        state = ReplicaState.OK if lag <= self.max_lag else ReplicaState.LAGGING
        if state is not replica.state:
            level = logging.INFO if state is ReplicaState.OK else logging.WARNING
            log.log(level, "%s (%s): %s (lag %.3f s)", replica.name, replica.host, state, lag)
        replica.state = state


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:200]
