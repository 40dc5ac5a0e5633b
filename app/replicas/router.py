"""Which pool a request's reads use: a replica for queries, the primary for everything else.

Mutations (and everything inside them), a subject's requests within
VANTA_READ_YOUR_WRITES_SECONDS of its own write, and queries when no replica is usable read
from the primary. Jobs, LISTEN/NOTIFY, idempotency records, downloads, subscriptions and
migrations never come here: they use the primary pool directly.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import asyncpg

from app.replicas.monitor import ReplicaSet
from app.replicas.recent_writes import RecentWrites
from app.replicas.replica import Replica

__all__ = [
    "MUTATION",
    "NO_REPLICA",
    "PRIMARY",
    "RECENT_WRITE",
    "REPLICA",
    "ReadRouter",
    "Route",
]

PRIMARY = "primary"
# Why a request reads where it does (the `reason` label of vanta_db_reads_total).
REPLICA = "replica"
MUTATION = "mutation"
RECENT_WRITE = "recent_write"
NO_REPLICA = "no_usable_replica"


@dataclass(frozen=True, slots=True)
class Route:
    read_pool: asyncpg.Pool | None  # None: the primary
    replica: Replica | None
    reason: str

    @property
    def target(self) -> str:
        return PRIMARY if self.replica is None else self.replica.name


class ReadRouter:
    """The pipeline's one question, per executed operation: where do its reads go?

    Example::

        recent = await router.wrote_recently(viewer)  # before the response cache
        route = router.route(mutation=False, recent_write=recent)
        db = DbSession(primary, read_pool=route.read_pool, on_read_failure=router.read_failed)
        ...
        await router.wrote(viewer)  # after a mutation, before its response leaves
    """

    def __init__(self, replicas: ReplicaSet, recent_writes: RecentWrites) -> None:
        self.replicas = replicas
        self.recent_writes = recent_writes
        self.reads: Counter[tuple[str, str]] = Counter()  # (target, reason) -> executions

    async def wrote_recently(self, subject: str | None) -> bool:
        return subject is not None and await self.recent_writes.wrote_recently(subject)

    async def wrote(self, subject: str | None) -> None:
        if subject is not None:
            await self.recent_writes.record(subject)

    def route(self, *, mutation: bool, recent_write: bool) -> Route:
        if mutation:
            route = Route(None, None, MUTATION)
        elif recent_write:
            route = Route(None, None, RECENT_WRITE)
        else:
            replica = self.replicas.pick()
            if replica is None:
                route = Route(None, None, NO_REPLICA)
            else:
                route = Route(replica.pool, replica, REPLICA)
        self.reads[route.target, route.reason] += 1
        return route

    def read_failed(self, pool: asyncpg.Pool, error: BaseException) -> None:
        """A replica failed a read that the primary then answered (DbSession's callback)."""
        self.replicas.failed(pool, error)
