"""/metrics for replicas: each one's state and lag, reads by target, fallbacks to the primary."""

from __future__ import annotations

import math
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from app.replicas.replica import ReplicaState
from app.replicas.router import ReadRouter

__all__ = ["ReplicaCollector"]


class ReplicaCollector(Collector):
    """Read at scrape time from the router (no per-request metric updates)."""

    def __init__(self, router: ReadRouter) -> None:
        self._router = router

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        labels = ["replica", "host"]
        up = GaugeMetricFamily(
            "vanta_db_replica_up", "1 when reads may use the replica", labels=labels
        )
        state = GaugeMetricFamily(
            "vanta_db_replica_state", "The replica's state (1 = current)", labels=[*labels, "state"]
        )
        lag = GaugeMetricFamily(
            "vanta_db_replica_lag_seconds", "Upper bound of the replica's lag", labels=labels
        )
        fallbacks = CounterMetricFamily(
            "vanta_db_replica_fallbacks",
            "Reads the replica failed that the primary answered",
            labels=labels,
        )
        for replica in self._router.replicas.replicas:
            names = [replica.name, replica.host]
            up.add_metric(names, 1.0 if replica.usable else 0.0)
            for each in ReplicaState:
                state.add_metric([*names, str(each)], 1.0 if replica.state is each else 0.0)
            if replica.lag_seconds is not None:
                value = replica.lag_seconds
                lag.add_metric(names, value if math.isfinite(value) else math.inf)
            fallbacks.add_metric(names, replica.fallbacks)
        reads = CounterMetricFamily(
            "vanta_db_reads",
            "Executed GraphQL operations by where their reads went, and why",
            labels=["target", "reason"],
        )
        for (target, reason), count in sorted(self._router.reads.items()):
            reads.add_metric([target, reason], count)
        yield from (up, state, lag, fallbacks, reads)
