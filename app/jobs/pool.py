"""The process pool the NLP pipeline runs in: ``spawn``ed processes, so a pool process
starts from a fresh interpreter and imports spaCy itself (the parent never does)."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

__all__ = ["POOL_NICENESS", "analysis_pool"]

# Pool processes run below the server's priority: on a machine without a spare core the
# scheduler then lets request handling (and PostgreSQL) go first, and NLP takes what is left.
POOL_NICENESS = 10


def _lower_priority() -> None:
    os.nice(POOL_NICENESS)


def analysis_pool(workers: int) -> ProcessPoolExecutor:
    """``workers`` processes; each loads the pipeline on its first document and keeps it."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_lower_priority,
    )
