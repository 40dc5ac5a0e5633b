"""The process pool the NLP pipeline runs in: ``spawn``ed processes, so a pool process
starts from a fresh interpreter and imports spaCy itself (the parent never does)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

__all__ = ["analysis_pool"]


def analysis_pool(workers: int) -> ProcessPoolExecutor:
    """``workers`` processes; each loads the pipeline on its first document and keeps it."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
