"""Q1 with each metadata backend in the same run: PostgreSQL, and MongoDB when one is given."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.queries import payloads
from bench.report import ModeResult
from bench.server import running_server
from bench.wrk import run_wrk, write_script

if TYPE_CHECKING:
    from bench.harness import Setup

__all__ = ["MONGO_ENV", "BackendResult", "backends_markdown", "backends_table", "measure_backends"]

MONGO_ENV = "VANTA_BENCH_MONGODB_URL"
SKIPPED = f"skipped: {MONGO_ENV} is not set (no MongoDB server on this machine)"
HEADER = ["backend", "Q1 req/s", "p50 ms", "p99 ms", "round trips"]


@dataclass(frozen=True, slots=True)
class BackendResult:
    """Q1 under one metadata backend; ``note`` instead of figures when it did not run."""

    backend: str
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    round_trips: str = ""
    note: str = ""


def measure_backends(setup: Setup, loaders: ModeResult) -> list[BackendResult]:
    """PostgreSQL from the loaders run; MongoDB measured now (metadata copied there first)."""
    q1 = loaders.loads["Q1"]
    results = [BackendResult("postgres", q1.rps, q1.p50_ms, q1.p99_ms, loaders.round_trips["Q1"])]
    url = os.environ.get(MONGO_ENV)
    if not url:
        print(f"[mongo] Q1 {SKIPPED}", flush=True)
        return [*results, BackendResult("mongo", note=SKIPPED)]
    results.append(_measure_mongo(setup, url))
    return results


def _measure_mongo(setup: Setup, url: str) -> BackendResult:
    from app.config import Settings
    from app.metadata.commands import run_copy
    from bench.harness import WORK, probe, server_env

    print("[mongo] copying metadata to MongoDB (idempotent)", flush=True)
    settings = Settings(database_url=setup.dsn, mongodb_url=url, metadata_backend="mongo")
    asyncio.run(run_copy(setup.dsn, settings, to="mongo"))
    body = payloads(setup.data.company_id, setup.data.document_id)["Q1"]
    script = write_script(WORK / "Q1-mongo.lua", body, setup.token)
    env = server_env(setup.dsn, setup.secret, {"VANTA_LOADERS": "on", "VANTA_CACHE": "off"})
    env.update(VANTA_METADATA_BACKEND="mongo", VANTA_MONGODB_URL=url)
    print("[mongo] starting vanta serve", flush=True)
    with running_server(env, WORK / "serve-mongo.log") as server:
        trips, _ = probe(server, {"Q1": body}, setup.token, frozenset({"fast"}))
        run_wrk(setup.wrk, server.url, script, 1)
        load = run_wrk(setup.wrk, server.url, script, setup.seconds)
    print(f"[mongo] Q1: {load.rps:,.1f} requests/s", flush=True)
    return BackendResult("mongo", load.rps, load.p50_ms, load.p99_ms, trips["Q1"])


def _row(result: BackendResult) -> list[str]:
    if result.rps is None:
        return [result.backend, "-", "-", "-", result.note]
    return [
        result.backend,
        f"{result.rps:,.1f}",
        f"{result.p50_ms:.1f}",
        f"{result.p99_ms:.1f}",
        result.round_trips,
    ]


def backends_table(results: list[BackendResult]) -> str:
    """Plain-text table for the terminal."""
    rows = [HEADER, *(_row(r) for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])) + "  " + row[-1]
        for row in rows
    )


def backends_markdown(results: list[BackendResult]) -> str:
    """The RESULTS.md section: Q1 per metadata backend, same data, same run."""
    lines = ["| " + " | ".join(HEADER) + " |", "|---|--:|--:|--:|--:|"]
    lines += ["| " + " | ".join(_row(r)) + " |" for r in results]
    return (
        "## Q1 by metadata backend\n\n"
        "Same dataset and load; the MongoDB server gets the metadata copied by "
        "`vanta metadata copy --to mongo` logic first.\n\n" + "\n".join(lines) + "\n"
    )
