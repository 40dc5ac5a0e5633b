"""In-process CPU per request of Q1/Q2/Q3 through ``execute_operation``, fast path vs stock.

`python -m bench.cpu [--gc default|server] [--calls]` (same VANTA_BENCH_DATABASE_URL as bench.run; seeds
it when needed). ``--gc server`` (the default) collects like `vanta serve` does: start-up heap
frozen after warm-up, young-generation threshold app.server.GC_THRESHOLDS; ``--gc default``
keeps Python's, so the two runs show what the server's setting buys.
Each figure is the median over batches of ``time.process_time()`` per request, so load
from other processes on the machine does not inflate it; database time is not CPU time of
this process, but decoding rows is, and it is the same for both paths.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import pstats
import statistics
import sys
import time
from dataclasses import replace
from typing import Any

from app.auth import Viewer
from app.config import Settings
from app.db.pool import create_pool
from app.db.session import DbSession
from app.documents.prepared import PreparedDocuments
from app.execution import execute_operation
from app.protocol import Operation
from app.server import GC_THRESHOLDS
from bench.queries import payloads
from bench.run import bench_database, prepare
from loaders.factory import create_loaders
from schema.build import build_schema
from schema.context import Context

__all__ = ["main"]

BATCHES = 7
PER_BATCH = 40


def _server_gc() -> None:
    """What app.server.freeze_startup_heap does once the server is up."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def _calls_per_request(once: Any) -> float:
    """Python function calls per request (cProfile's count: the same on every run, however
    busy the machine), over PER_BATCH requests."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(PER_BATCH):
        await once()
    profile.disable()
    return pstats.Stats(profile).total_calls / PER_BATCH  # type: ignore[attr-defined]


async def _measure(
    dsn: str, company_id: int, document_id: int, server_gc: bool, calls: bool = False
) -> dict[str, dict[str, float]]:
    schema = build_schema()
    documents = PreparedDocuments(schema, max_bytes=1 << 24, default_ttl=60)
    pool = await create_pool(dsn, min_size=2, max_size=4)
    viewer = Viewer(subject="bench", role="admin", company_ids=None)
    base = Settings(database_url=dsn)
    figures: dict[str, dict[str, float]] = {}
    try:
        for name, body in payloads(company_id, document_id).items():
            request = Operation(body["query"], body.get("variables"), None, None)
            for mode, fast in (("fast", True), ("stock", False)):
                settings = replace(base, fastpath_enabled=fast)

                async def once(settings: Settings = settings, request: Operation = request) -> str:
                    db = DbSession(pool)
                    context = Context(
                        None, settings, db, pool, create_loaders(db, viewer), viewer, "b"
                    )
                    outcome = await execute_operation(
                        schema,
                        request,
                        context,
                        allow_mutations=False,
                        documents=documents,
                    )
                    assert outcome.status == 200 and "errors" not in outcome.body
                    return outcome.path

                assert await once() == mode  # and warms the caches
                if server_gc:
                    _server_gc()
                samples = []
                for _ in range(BATCHES):
                    started = time.process_time()
                    for _ in range(PER_BATCH):
                        await once()
                    samples.append((time.process_time() - started) * 1000 / PER_BATCH)
                figures.setdefault(name, {})[mode] = statistics.median(samples)
                if calls:
                    figures[name][f"{mode} calls"] = await _calls_per_request(once)
    finally:
        await pool.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu")
    parser.add_argument("--gc", choices=("server", "default"), default="server")
    parser.add_argument("--calls", action="store_true", help="also Python calls per request")
    args = parser.parse_args(argv)
    with bench_database() as (dsn, source):
        data = asyncio.run(prepare(dsn, source))
        figures = asyncio.run(
            _measure(dsn, data.company_id, data.document_id, args.gc == "server", args.calls)
        )
    print(f"garbage collection: {args.gc}")
    print(
        "query  fast CPU ms  stock CPU ms  stock/fast" + ("  fast calls  stock calls" * args.calls)
    )
    for name, by_mode in figures.items():
        fast, stock = by_mode["fast"], by_mode["stock"]
        line = f"{name:<5}  {fast:11.3f}  {stock:12.3f}  {stock / fast:10.2f}"
        if args.calls:
            line += f"  {by_mode['fast calls']:10.0f}  {by_mode['stock calls']:11.0f}"
        print(line)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
