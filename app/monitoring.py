"""Process and pool figures from psutil and asyncpg, for ``systemMetrics`` and /metrics."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import asyncpg
import psutil

__all__ = ["ProcessSnapshot", "snapshot"]

_STARTED = time.monotonic()
_PROCESS = psutil.Process(os.getpid())


@dataclass(frozen=True, slots=True)
class ProcessSnapshot:
    uptime_seconds: float
    rss_bytes: int
    cpu_percent: float
    threads: int
    open_files: int
    db_pool_size: int
    db_pool_idle: int
    db_pool_max: int


def snapshot(pool: asyncpg.Pool | None) -> ProcessSnapshot:
    """Current figures; cheap enough to call per request (no sampling interval)."""
    with _PROCESS.oneshot():
        rss = _PROCESS.memory_info().rss
        cpu = _PROCESS.cpu_percent(interval=None)
        threads = _PROCESS.num_threads()
        open_files = _PROCESS.num_fds()
    return ProcessSnapshot(
        uptime_seconds=round(time.monotonic() - _STARTED, 3),
        rss_bytes=rss,
        cpu_percent=cpu,
        threads=threads,
        open_files=open_files,
        db_pool_size=pool.get_size() if pool else 0,
        db_pool_idle=pool.get_idle_size() if pool else 0,
        db_pool_max=pool.get_max_size() if pool else 0,
    )
