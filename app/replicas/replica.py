"""One read replica: its pool and what the last poll (or a failed read) found."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

import asyncpg

__all__ = ["Replica", "ReplicaState", "dsn_label"]


class ReplicaState(StrEnum):
    STARTING = "starting"  # not polled yet: not used
    OK = "ok"  # answers and is within VANTA_REPLICA_MAX_LAG_SECONDS: reads go here
    LAGGING = "lagging"  # answers, but further behind than allowed: skipped
    DOWN = "down"  # the last poll or a read failed: skipped until a poll succeeds


def dsn_label(url: str) -> str:
    """``host:port/database`` of a DSN, never its user or password (for logs and metrics)."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path or ''}"


@dataclass(slots=True, eq=False)
class Replica:
    name: str  # replica-0, replica-1, ... in VANTA_DATABASE_REPLICA_URLS order
    host: str  # dsn_label of its URL
    pool: asyncpg.Pool
    state: ReplicaState = ReplicaState.STARTING
    lag_seconds: float | None = None  # upper bound (app.replicas.lag); None: unknown
    in_recovery: bool | None = None  # False: not a standby (promoted, or a primary)
    replay_paused: bool | None = None
    error: str | None = None  # why it is down
    fallbacks: int = 0  # reads it failed that were retried on the primary

    @property
    def usable(self) -> bool:
        return self.state is ReplicaState.OK

    def report(self) -> dict[str, object]:
        """What /readyz shows for this replica."""
        lag = self.lag_seconds
        report: dict[str, object] = {
            "name": self.name,
            "host": self.host,
            "state": str(self.state),
            "lag_seconds": None if lag is None or lag == float("inf") else round(lag, 3),
            "in_recovery": self.in_recovery,
            "replay_paused": self.replay_paused,
            "fallbacks": self.fallbacks,
        }
        if self.error is not None:
            report["error"] = self.error
        return report
