"""Compression and worker figures: `python -m bench.frontend` (same database as bench.run).

Prints Q1's response size as sent (identity, gzip, br), server CPU per request for Q1
cache hits and uncached Q1 in each coding, and Q1/Q3 throughput with 1 and 2 workers
(VANTA_CACHE=off, so every request executes). VANTA_BENCH_DURATION (default 5) seconds a run.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import urllib.request
from pathlib import Path

import orjson

from app.auth import issue_token
from bench.harness import WORK, server_env
from bench.queries import payloads
from bench.run import bench_database, prepare
from bench.server import cold_start_ms, running_server
from bench.wrk import ensure_wrk, run_wrk, write_script

__all__ = ["main"]

CODINGS = ("identity", "gzip", "br")


def _size(url: str, body: dict[str, object], token: str, coding: str) -> int:
    """Bytes of the response body as sent with ``Accept-Encoding: coding``."""
    request = urllib.request.Request(
        url,
        data=orjson.dumps(body),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Accept-Encoding": coding,
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return len(response.read())


def _load(
    wrk: str, server_url: str, script: Path, seconds: int, cpu: object
) -> tuple[float, float]:
    """(requests/s, server CPU ms per request) of one wrk run after a warm-up."""
    run_wrk(wrk, server_url, script, 1, warm_up=True)
    before = cpu()  # type: ignore[operator]
    result = run_wrk(wrk, server_url, script, seconds)
    return result.rps, (cpu() - before) * 1000 / result.requests  # type: ignore[operator]


def main() -> int:
    seconds = int(os.environ.get("VANTA_BENCH_DURATION") or 5)
    wrk = ensure_wrk()
    secret = secrets.token_urlsafe(32)
    token = issue_token(secret, subject="bench", role="admin", companies="*", ttl_seconds=3600)
    lines: list[str] = []
    with bench_database() as (dsn, _source):
        data = asyncio.run(prepare(dsn, _source))
        bodies = payloads(data.company_id, data.document_id)
        for cache in ("on", "off"):
            env = server_env(dsn, secret, {"VANTA_CACHE": cache})
            with running_server(env, WORK / f"frontend-cache-{cache}.log") as server:
                cold_start_ms(server, bodies["Q3"], token)  # waits until it answers
                _size(server.url, bodies["Q1"], token, "identity")  # warm (and fill the cache)
                sizes = {c: _size(server.url, bodies["Q1"], token, c) for c in CODINGS}
                if cache == "on":
                    lines.append(
                        "Q1 bytes as sent: " + ", ".join(f"{c} {n:,}" for c, n in sizes.items())
                    )
                for coding in CODINGS:
                    script = write_script(
                        WORK / f"q1-{coding}.lua",
                        bodies["Q1"],
                        token,
                        {"Accept-Encoding": coding},
                    )
                    rps, cpu_ms = _load(wrk, server.url, script, seconds, server.cpu_seconds)
                    what = "cache hit" if cache == "on" else "uncached"
                    lines.append(
                        f"Q1 {what}, {coding}: {rps:,.1f} requests/s, "
                        f"{cpu_ms:.3f} server CPU ms/request"
                    )
                    print(lines[-1], flush=True)
        for workers in (1, 2):
            env = server_env(dsn, secret, {"VANTA_CACHE": "off", "VANTA_WORKERS": str(workers)})
            with running_server(env, WORK / f"frontend-workers-{workers}.log") as server:
                cold_start_ms(server, bodies["Q3"], token)
                for name in ("Q1", "Q3"):
                    script = write_script(WORK / f"{name}-w.lua", bodies[name], token)
                    rps, cpu_ms = _load(wrk, server.url, script, seconds, server.cpu_seconds)
                    lines.append(
                        f"{name} uncached, {workers} worker(s): {rps:,.1f} requests/s, "
                        f"{cpu_ms:.2f} server CPU ms/request"
                    )
                    print(lines[-1], flush=True)
    print("\n".join(["", *lines]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
