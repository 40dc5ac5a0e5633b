"""Primary CPU under Q1 load without and with a read replica (issue 16).

``python -m bench.replicas [--seconds 15] [--concurrency 8] [--documents 20000]``

Starts its own PostgreSQL primary and hot standby (``tests/standby.py``: Debian's
PostgreSQL 15, ports 9200-9299, removed afterwards), seeds the primary, and serves the app
in this process on 127.0.0.1 with the response cache and rate limits off. For each mode it
sends Q1 (uncached) from ``--concurrency`` clients for ``--seconds`` and reports requests/s
and the CPU each server spent per request: user + system time of the postmaster and its
children, read from ``/proc`` before and after (the pool's backends live through the run).
The load generator runs in this process too, so requests/s is a relative figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp
import asyncpg
import orjson
from aiohttp import web

from app.auth import issue_token
from app.config import Settings
from app.migrate import apply_migrations
from app.seed import seed
from app.server import create_app
from bench.queries import payloads
from tests.standby import PostgresServer, free_port_in_range, missing_reason, standby_pair

__all__ = ["main"]

SECRET = "bench-secret-not-for-production-0123456789"
TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(server: PostgresServer) -> float:
    """utime + stime of the server's postmaster and its children, in seconds."""
    postmaster = int((server.data_dir / "postmaster.pid").read_text().split()[0])
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == postmaster or ppid == postmaster:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


@dataclass
class Figures:
    mode: str
    requests: int
    seconds: float
    primary_cpu: float
    standby_cpu: float

    def row(self) -> str:
        per = 1000 / max(self.requests, 1)
        return (
            f"| {self.mode} | {self.requests / self.seconds:.1f} | "
            f"{self.primary_cpu * per:.3f} | {self.standby_cpu * per:.3f} |"
        )


async def _load(url: str, body: bytes, token: str, seconds: float, concurrency: int) -> int:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    deadline = time.monotonic() + seconds
    done = 0

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal done
        while time.monotonic() < deadline:
            async with session.post(url, data=body, headers=headers) as response:
                payload = await response.read()
                if response.status != 200 or b'"errors"' in payload:
                    raise RuntimeError(f"Q1 failed: {response.status} {payload[:300]!r}")
            done += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
    return done


async def _measure(
    mode: str,
    settings: Settings,
    primary: PostgresServer,
    standby: PostgresServer,
    body: bytes,
    args: argparse.Namespace,
) -> Figures:
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port_in_range()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    token = issue_token(SECRET, subject="bench", role="admin", companies="*")
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        await _load(url, body, token, 2.0, args.concurrency)  # warm pools and caches of plans
        primary_before, standby_before = server_cpu_seconds(primary), server_cpu_seconds(standby)
        started = time.monotonic()
        requests = await _load(url, body, token, args.seconds, args.concurrency)
        elapsed = time.monotonic() - started
        primary_cpu = server_cpu_seconds(primary) - primary_before
        standby_cpu = server_cpu_seconds(standby) - standby_before
    finally:
        await runner.cleanup()
    return Figures(mode, requests, elapsed, primary_cpu, standby_cpu)


async def run(args: argparse.Namespace) -> list[Figures]:
    async with standby_pair() as (primary, standby):
        await apply_migrations(primary.url)
        await seed(
            primary.url, companies=10, documents=args.documents, ledger_entries=0, progress=False
        )
        conn = await asyncpg.connect(primary.url)
        try:
            await conn.execute("VACUUM ANALYZE")
            company_id = await conn.fetchval("SELECT min(id) FROM companies")
            document_id = await conn.fetchval("SELECT min(id) FROM documents")
            target = await conn.fetchval("SELECT pg_current_wal_lsn()")
        finally:
            await conn.close()
        await _replayed(standby, target)
        body = orjson.dumps(payloads(company_id, document_id)["Q1"])
        data_dir = Path(tempfile.mkdtemp(prefix="vanta-bench-replicas-"))
        base = Settings(
            database_url=primary.url,
            data_dir=data_dir,
            jwt_secret=SECRET,
            cache_enabled=False,
            rate_limit_per_minute=0,
            rate_limit_per_hour=0,
            job_workers=0,
        )
        with_replica = replace(base, database_replica_urls=(standby.url,))
        try:
            return [
                await _measure("primary only", base, primary, standby, body, args),
                await _measure("with one replica", with_replica, primary, standby, body, args),
            ]
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)


async def _replayed(standby: PostgresServer, target: str) -> None:
    """Until the standby has replayed the seed (measuring before would skew its CPU)."""
    conn = await asyncpg.connect(standby.url)
    try:
        replayed = False
        while not replayed:
            replayed = await conn.fetchval("SELECT pg_last_wal_replay_lsn() >= $1", target)
            if not replayed:
                await asyncio.sleep(0.1)
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--documents", type=int, default=20_000)
    args = parser.parse_args(argv)
    reason = missing_reason()
    if reason is not None:
        print(f"bench.replicas: cannot start a primary and standby: {reason}", file=sys.stderr)
        return 1
    figures = asyncio.run(run(args))
    print(f"Q1 uncached, {args.concurrency} clients, {args.seconds:g} s per mode")
    print("| mode | requests/s | primary CPU ms / request | standby CPU ms / request |")
    print("|---|--:|--:|--:|")
    for each in figures:
        print(each.row())
    return 0


if __name__ == "__main__":
    sys.exit(main())
