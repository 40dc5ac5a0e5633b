"""Prometheus metrics of the processing queue, on the registry of the process that works it."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["JobMetrics"]

_DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class JobMetrics:
    """Counters per outcome, jobs running now, attempt durations, and the queue as last seen."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.claimed = Counter(
            "vanta_jobs_claimed", "Job attempts started by this process", registry=self.registry
        )
        self.done = Counter("vanta_jobs_done", "Jobs processed", registry=self.registry)
        self.failed = Counter(
            "vanta_jobs_failed", "Jobs failed after their last attempt", registry=self.registry
        )
        self.retried = Counter(
            "vanta_jobs_retried", "Failed attempts queued again", registry=self.registry
        )
        self.lost = Counter(
            "vanta_jobs_lost_claims",
            "Attempts whose claim expired and was taken over before they finished",
            registry=self.registry,
        )
        self.running = Gauge(
            "vanta_jobs_running", "Job attempts running in this process", registry=self.registry
        )
        self.duration = Histogram(
            "vanta_job_duration_seconds",
            "Wall time of one job attempt, claim to commit",
            ["outcome"],
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.depth = Gauge(
            "vanta_jobs_in_queue",
            "Jobs by state, as this process last counted them",
            ["state"],
            registry=self.registry,
        )
        self.oldest_pending = Gauge(
            "vanta_jobs_oldest_pending_seconds",
            "Age of the oldest queued or running job, as last counted (0: none)",
            registry=self.registry,
        )
