"""Processing bench: first-document latency (spaCy import + pipeline build) apart from the
steady state (documents/s per worker process), and RSS of a pool process before and after
NLP ran. Run: ``.venv/bin/python -m bench.processing [--documents 200]``.

Everything runs in a spawned process, as in `vanta serve` / `vanta worker`; this process
(the stand-in for the server) never imports spaCy, which the report checks.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import psutil

from app.nlp.task import AnalysisRequest, analyze

SAMPLE = (
    "Invoice No: INV-{n}\nFrom: Simba Cement Ltd\nKRA PIN A123456789Z\n"
    "500 bags of cement for the Nyeri site, delivered 30/06/2025.\n"
    "Paid by M-Pesa QGH7ABC12X, call 0712345678. Total KES 12,500.00\n"
)


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def _measure(paths: list[str], big: str) -> dict[str, float]:
    """In the pool process: RSS before, first document, steady state, 1 MB document."""
    started_rss = _rss_mb()
    t0 = time.perf_counter()
    analyze(AnalysisRequest(paths[0], "text/plain", "invoice", ("Simba Cement Ltd",)))
    first = time.perf_counter() - t0
    t1 = time.perf_counter()
    for path in paths[1:]:
        analyze(AnalysisRequest(path, "text/plain", "invoice", ("Simba Cement Ltd",)))
    steady = time.perf_counter() - t1
    t2 = time.perf_counter()
    analyze(AnalysisRequest(big, "text/plain", "invoice", ("Simba Cement Ltd",)))
    big_seconds = time.perf_counter() - t2
    return {
        "rss_before_mb": started_rss,
        "rss_after_mb": _rss_mb(),
        "first_document_s": first,
        "documents_per_s": (len(paths) - 1) / steady,
        "one_mb_document_s": big_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for n in range(args.documents):
            path = Path(tmp) / f"{n}.txt"
            path.write_text(SAMPLE.format(n=n))
            paths.append(str(path))
        big = Path(tmp) / "big.txt"
        big.write_text((SAMPLE.format(n=1) * (2**20 // len(SAMPLE) + 1))[: 2**20])
        spawn_started = time.perf_counter()
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            pool.submit(os.getpid).result()
            cold = time.perf_counter() - spawn_started
            figures = pool.submit(_measure, paths, str(big)).result()
    print("processing bench (one spawned pool process, blank pipeline + entity_ruler)")
    print(f"  pool process cold start (spawn, no NLP)   {cold * 1000:8.1f} ms")
    print(
        f"  first document (spaCy import + pipeline)  {figures['first_document_s'] * 1000:8.1f} ms"
    )
    print(
        f"  steady state                              {figures['documents_per_s']:8.1f} documents/s per worker"
    )
    print(
        f"  one 1 MiB text document                   {figures['one_mb_document_s'] * 1000:8.1f} ms"
    )
    print(f"  pool process RSS before NLP               {figures['rss_before_mb']:8.1f} MiB")
    print(f"  pool process RSS after NLP                {figures['rss_after_mb']:8.1f} MiB")
    print(f"  this process imported spaCy               {'spacy' in sys.modules}")


if __name__ == "__main__":
    main()
