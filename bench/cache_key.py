"""Cost of computing a response-cache key (in-process, median of repeated timings)."""

from __future__ import annotations

import statistics
import time

from app.auth import Viewer
from app.cache.keys import response_key
from bench.queries import payloads

__all__ = ["cache_key_microseconds"]

REPEATS = 7
CALLS = 20_000


def cache_key_microseconds(company_id: int, document_id: int) -> float:
    """Median µs per key for Q1 as a viewer of one company (query digest memoised, as in serving)."""
    body = payloads(company_id, document_id)["Q1"]
    viewer = Viewer("bench", "viewer", frozenset({company_id, company_id + 1}))
    query, variables = body["query"], body.get("variables")
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        for _ in range(CALLS):
            response_key(query, "Q1", variables, viewer, per_subject=False)
        samples.append((time.perf_counter() - started) / CALLS * 1e6)
    return statistics.median(samples)
