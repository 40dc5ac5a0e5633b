"""`python -m bench.sweep`: how our cost grows (issue 16 item 4). Sweeps Q1's page size,
Q2's fan-out, the dataset (10k / 100k / 1M documents, one database each) and wrk's
concurrency; per point requests/s, p99, server CPU ms/request and database round trips.
Writes bench/SWEEP.md and bench/sweep.png; exits 1 when round trips are not flat across a
sweep (the design says they must not grow with page size, fan-out, data or load).

Environment: ``VANTA_SWEEP_SECONDS`` (measured seconds per point, default 3),
``VANTA_BENCH_POSTGRES`` (server holding the sweep's databases, default
postgresql://postgres@127.0.0.1:5432), ``VANTA_BENCH_PORTS`` (port band for the servers).
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from app.auth import issue_token
from bench.harness import WORK, probe, server_env
from bench.server import ServerError, cold_start_ms, running_server
from bench.sweep_data import DATASETS, SweepError, prepare_datasets
from bench.sweep_report import Point, check_flat, plot, sweep_markdown, sweep_text
from bench.versus import OURS_ENV
from bench.wrk import WrkError, ensure_wrk, run_wrk, write_script

__all__ = ["main", "plan"]

BENCH_DIR = Path(__file__).resolve().parent
SWEEP_MD = BENCH_DIR / "SWEEP.md"
SWEEP_PNG = BENCH_DIR / "sweep.png"
DEFAULT_SECONDS = 3
WARMUP_SECONDS = 1
PAGE_SIZES = (10, 50, 100)
FAN_OUTS = ((5, 5), (10, 10), (20, 20))
CONCURRENCY = (1, 16, 64)
REFERENCE_CONNECTIONS = 16
REFERENCE_DATASET = "100k"


def plan(company_id: int, document_id: int) -> list[tuple[str, str, str, dict, int]]:
    """(sweep, x label, query, payload, connections) for one dataset's server, without the
    dataset sweep (that is these same reference points on each database)."""
    from bench.queries import Q3, q1, q2

    def one(query: str, variables: Mapping[str, str] | None = None) -> dict:
        return {"query": query, **({"variables": dict(variables)} if variables else {})}

    company = {"company": str(company_id)}
    reference = {
        "Q1": one(q1(), company),
        "Q2": one(q2()),
        "Q3": one(Q3, {"id": str(document_id)}),
    }
    points = [
        ("page size", str(size), "Q1", one(q1(size), company), REFERENCE_CONNECTIONS)
        for size in PAGE_SIZES
    ]
    points += [
        ("fan-out", f"{c}x{d}", "Q2", one(q2(c, d)), REFERENCE_CONNECTIONS) for c, d in FAN_OUTS
    ]
    points += [
        ("concurrency", str(n), name, body, n)
        for name, body in reference.items()
        for n in CONCURRENCY
    ]
    return points


def seconds_from_env(env: Mapping[str, str]) -> int:
    """VANTA_SWEEP_SECONDS, default 3."""
    raw = env.get("VANTA_SWEEP_SECONDS") or str(DEFAULT_SECONDS)
    if not raw.isdigit() or int(raw) < 1:
        raise SweepError(f"VANTA_SWEEP_SECONDS must be an integer >= 1, got {raw!r}")
    return int(raw)


def measure_dataset(
    label: str, dsn: str, ids: tuple[int, int], seconds: int, wrk: str, token: str, secret: str
) -> list[Point]:
    """Start our server on one database and measure its points."""
    points_plan = plan(*ids)
    if label != REFERENCE_DATASET:  # elsewhere only the reference points, for the dataset sweep
        points_plan = [
            p for p in points_plan if p[0] == "concurrency" and p[4] == REFERENCE_CONNECTIONS
        ]
    env = server_env(dsn, secret, OURS_ENV)
    measured: dict[tuple[str, str, int], Point] = {}
    points = []
    print(f"[sweep {label}] starting vanta serve", flush=True)
    with running_server(env, WORK / f"serve-sweep-{label}.log") as server:
        cold_start_ms(server, points_plan[-1][3], token)
        for sweep, x, query, body, connections in points_plan:
            key = (query, str(body), connections)
            if key not in measured:
                trips, sizes = probe(server, {query: body}, token, frozenset({"fast"}))
                script = write_script(WORK / "sweep.lua", body, token)
                run_wrk(
                    wrk, server.url, script, WARMUP_SECONDS, warm_up=True, connections=connections
                )
                before = server.cpu_seconds()
                load = run_wrk(wrk, server.url, script, seconds, connections=connections)
                cpu_ms = (server.cpu_seconds() - before) * 1000 / load.requests
                measured[key] = Point(
                    "",
                    "",
                    query,
                    load.rps,
                    load.p50_ms,
                    load.p99_ms,
                    cpu_ms,
                    trips[query],
                    sizes[query],
                )
                print(
                    f"[sweep {label}] {query} {sweep}={x} c={connections}: {load.rps:,.0f} req/s, "
                    f"p99 {load.p99_ms:.1f} ms, {cpu_ms:.2f} CPU ms/req, {trips[query]} round trips",
                    flush=True,
                )
            found = measured[key]
            if label == REFERENCE_DATASET:
                points.append(found.at(sweep, x))
            if sweep == "concurrency" and connections == REFERENCE_CONNECTIONS:
                points.append(found.at("dataset", label))
        if server.process.poll() is not None:
            raise ServerError(f"[sweep {label}] server exited:\n{server.log_tail()}")
    return points


def run(seconds: int) -> str:
    """The whole sweep; returns the SWEEP.md text (also written, with the PNG)."""
    started = time.perf_counter()
    wrk = ensure_wrk()
    WORK.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    token = issue_token(secret, subject="bench", role="admin", companies="*", ttl_seconds=3600)
    datasets = prepare_datasets(os.environ)
    points: list[Point] = []
    for label, _, _ in DATASETS:
        dsn, ids = datasets[label]
        points += measure_dataset(label, dsn, ids, seconds, wrk, token, secret)
    problems = check_flat(points)
    elapsed = time.perf_counter() - started
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = sweep_markdown(points, date, seconds, elapsed, problems)
    SWEEP_MD.write_text(text)
    plot(points, SWEEP_PNG)
    print(sweep_text(points))
    print(f"\nwrote bench/SWEEP.md and bench/sweep.png; the sweep took {elapsed:.0f} s")
    if problems:
        raise SweepError("round trips are not flat:\n" + "\n".join(problems))
    return text


def main() -> int:
    """Entry point; exit status 1 with a message on failure (also when trips are not flat)."""
    try:
        run(seconds_from_env(os.environ))
    except (SweepError, ServerError, WrkError) as error:
        print(f"sweep: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
