"""`make bench`: Q1/Q2/Q3 against `vanta serve` with the fast path, stock execution, naive
loaders and the response cache, then the rate limiter's own figures (bench/limiter.py);
writes RESULTS.md.

Environment: ``VANTA_BENCH_DATABASE_URL`` (default: database ``vanta_bench`` on the local
server at 127.0.0.1:5432, else an embedded PostgreSQL under bench/.work),
``VANTA_BENCH_DURATION`` (seconds of load per query and mode, default 10) and
``VANTA_BENCH_MONGODB_URL`` (Q1 is also measured with the MongoDB metadata backend; unset:
that row says it was skipped and why), ``VANTA_BENCH_PEER`` (``off``: no PostGraphile
comparison; `make bench PEER=off` sets it) and ``VANTA_BENCH_PAIRS`` (interleaved pairs per
query against PostGraphile, default 6).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from app.auth import issue_token
from app.migrate import apply_migrations
from bench.backends import backends_markdown, backends_table, measure_backends
from bench.cache_key import cache_key_microseconds
from bench.harness import WORK, Setup, probe, server_env
from bench.limiter import markdown as limiter_markdown
from bench.limiter import measure as measure_limiter
from bench.peer.compare import AnswerMismatch
from bench.peer.kit import peer_skip_reason, versions
from bench.queries import payloads
from bench.report import Dataset, ModeResult, console_table, machine, markdown
from bench.server import (
    VANTA,
    ServerError,
    cold_start_ms,
    running_server,
)
from bench.versus import Versus, count_statements, measure_versus, pairs_from_env
from bench.versus_report import versus_console, versus_markdown
from bench.wrk import WrkError, ensure_wrk, run_wrk, write_script

__all__ = ["main"]

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "RESULTS.md"
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432"
BENCH_DATABASE = "vanta_bench"
SEED_SIZES = {"companies": 30, "documents": 100_000, "ledger_entries": 300_000}
MIN_DOCUMENTS = 100_000
DEFAULT_SECONDS = 10
WARMUP_SECONDS = 1
IDLE_PAUSE_S = 1.0
# (mode name, server environment, execution paths the answers may come from): the fast
# path, stock execution (both with loaders), the naive baseline (stock, one query per row),
# all with the response cache off so every request executes; then the default
# configuration with the cache on (after the first request every answer is a hit).
MODES: tuple[tuple[str, dict[str, str], frozenset[str | None]], ...] = (
    (
        "fast",
        {"VANTA_LOADERS": "on", "VANTA_FASTPATH": "on", "VANTA_CACHE": "off"},
        frozenset({"fast"}),
    ),
    (
        "stock",
        {"VANTA_LOADERS": "on", "VANTA_FASTPATH": "off", "VANTA_CACHE": "off"},
        frozenset({"stock"}),
    ),
    (
        "naive",
        {"VANTA_LOADERS": "off", "VANTA_FASTPATH": "off", "VANTA_CACHE": "off"},
        frozenset({"stock"}),
    ),
    (
        "cached",
        {"VANTA_LOADERS": "on", "VANTA_FASTPATH": "on", "VANTA_CACHE": "on"},
        frozenset({"fast", None}),
    ),
)


class BenchError(RuntimeError):
    """The bench cannot run as asked; the message says what to change."""


def duration_seconds(env: Mapping[str, str]) -> int:
    """Seconds of load per query from VANTA_BENCH_DURATION (default 10)."""
    raw = env.get("VANTA_BENCH_DURATION") or str(DEFAULT_SECONDS)
    try:
        seconds = int(raw)
    except ValueError:
        raise BenchError(f"VANTA_BENCH_DURATION must be an integer, got {raw!r}") from None
    if seconds < 1:
        raise BenchError(f"VANTA_BENCH_DURATION must be >= 1, got {seconds}")
    return seconds


async def _local_bench_database() -> str | None:
    """DSN of vanta_bench on the local server (created if missing); None if none answers."""
    try:
        conn = await asyncpg.connect(f"{LOCAL_SERVER}/postgres", timeout=3)
    except (OSError, TimeoutError, asyncpg.PostgresError):
        return None
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", BENCH_DATABASE)
        if not exists:
            await conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    finally:
        await conn.close()
    return f"{LOCAL_SERVER}/{BENCH_DATABASE}"


@contextmanager
def bench_database() -> Iterator[tuple[str, str]]:
    """(DSN, description): the given URL, else local vanta_bench, else embedded (stopped after)."""
    given = os.environ.get("VANTA_BENCH_DATABASE_URL")
    if given:
        yield given, "the database named by VANTA_BENCH_DATABASE_URL"
        return
    local = asyncio.run(_local_bench_database())
    if local is not None:
        yield local, f"database `{BENCH_DATABASE}` on the local server (127.0.0.1:5432)"
        return
    from app.embedded_pg import embedded_postgres

    with embedded_postgres(WORK) as dsn:
        yield dsn, "embedded PostgreSQL under bench/.work"


async def prepare(dsn: str, source: str) -> Dataset:
    """Migrate, seed when under MIN_DOCUMENTS documents, and pick the Q1 company and Q3 document."""
    from app.seed import seed  # imported late: only a first run needs the seeder

    await apply_migrations(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        if await conn.fetchval("SELECT count(*) FROM documents") < MIN_DOCUMENTS:
            print(f"seeding {SEED_SIZES} ...", flush=True)
            await seed(dsn, **SEED_SIZES)
            await conn.execute("VACUUM ANALYZE")  # fresh statistics for the planner
        company_id = await conn.fetchval("SELECT min(id) FROM companies")
        document_id = await conn.fetchval(
            "SELECT id FROM documents WHERE company_id = $1 ORDER BY uploaded_at DESC, id DESC "
            "LIMIT 1",
            company_id,
        )
        return Dataset(
            source=source,
            postgres=await conn.fetchval("SHOW server_version"),
            companies=await conn.fetchval("SELECT count(*) FROM companies"),
            documents=await conn.fetchval("SELECT count(*) FROM documents"),
            metadata=await conn.fetchval("SELECT count(*) FROM document_metadata"),
            ledger_entries=await conn.fetchval("SELECT count(*) FROM ledger_entries"),
            company_id=company_id,
            document_id=document_id,
        )
    finally:
        await conn.close()


def measure_mode(
    mode: str, mode_env: Mapping[str, str], paths: frozenset[str | None], setup: Setup
) -> ModeResult:
    """Start one server, measure it, stop it (also when a measurement fails)."""
    wrk, token = setup.wrk, setup.token
    bodies = payloads(setup.data.company_id, setup.data.document_id)
    scripts = {
        name: write_script(WORK / f"{name}.lua", body, token) for name, body in bodies.items()
    }
    env = server_env(setup.dsn, setup.secret, mode_env)
    print(f"[{mode}] starting vanta serve", flush=True)
    with running_server(env, WORK / f"serve-{mode}.log") as server:
        cold = cold_start_ms(server, bodies["Q3"], token)
        trips, sizes = probe(server, bodies, token, paths)
        for script in scripts.values():
            run_wrk(wrk, server.url, script, WARMUP_SECONDS, warm_up=True)
        time.sleep(IDLE_PAUSE_S)
        rss = server.rss_mib()
        loads = {}
        cpu_ms = {}
        for name, script in scripts.items():
            run_wrk(wrk, server.url, script, WARMUP_SECONDS, warm_up=True)
            cpu_before = server.cpu_seconds()
            loads[name] = run_wrk(wrk, server.url, script, setup.seconds)
            cpu_ms[name] = (server.cpu_seconds() - cpu_before) * 1000 / loads[name].requests
            print(
                f"[{mode}] {name}: {loads[name].rps:,.1f} requests/s, "
                f"{cpu_ms[name]:.2f} server CPU ms/request",
                flush=True,
            )
        if server.process.poll() is not None:
            raise ServerError(f"[{mode}] server exited during the run:\n{server.log_tail()}")
    return ModeResult(mode, cold, rss, trips, sizes, loads, cpu_ms)


def measure_peer(setup: Setup, pairs: int) -> tuple[list[Versus], str | None]:
    """Ours against PostGraphile, one process each and then two; (results, why skipped)."""
    skipped = peer_skip_reason(os.environ)
    if skipped:
        print(f"skipping the PostGraphile comparison: {skipped}", flush=True)
        return [], skipped
    print("[versus] counting SQL statements per request at the wire protocol", flush=True)
    counted = count_statements(setup)
    return [measure_versus(setup, processes, pairs, counted) for processes in (1, 2)], None


def wrk_version(wrk: str) -> str:
    """wrk's version line, e.g. 'wrk debian/4.1.0-3+b2 [epoll]'."""
    completed = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    first = (completed.stdout or completed.stderr).splitlines()[:1]
    return first[0].split(" Copyright")[0].strip() if first else "wrk (version unknown)"


def run(seconds: int, pairs: int) -> str:
    """Run the whole bench; return the RESULTS.md text (also written to disk)."""
    if not VANTA.exists():
        raise BenchError(f"{VANTA} not found: run `make install` (or `pip install -e .`) first")
    wrk = ensure_wrk()
    WORK.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)  # bench-only; the servers and the token share it
    token = issue_token(secret, subject="bench", role="admin", companies="*", ttl_seconds=3600)
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with bench_database() as (dsn, source):
        data = asyncio.run(prepare(dsn, source))
        print(f"dataset: {data.companies} companies, {data.documents} documents", flush=True)
        setup = Setup(dsn, secret, token, data, seconds, wrk)
        results = [measure_mode(mode, mode_env, paths, setup) for mode, mode_env, paths in MODES]
        backends = measure_backends(setup, results[0])
        versus, skipped = measure_peer(setup, pairs)
    key_us = cache_key_microseconds(data.company_id, data.document_id)
    print(console_table(results, key_us))
    print("\n" + backends_table(backends))
    if versus:
        print("\n" + versus_console(versus))
    print("measuring the rate limiter (1M distinct keys) ...", flush=True)
    limiter = limiter_markdown(measure_limiter())
    print(limiter)
    text = markdown(date, machine(wrk_version(wrk)), data, seconds, results, key_us)
    peer = versions() if versus else ""
    text += "\n" + versus_markdown(versus, skipped, peer, seconds)
    text += "\n" + backends_markdown(backends) + "\n" + limiter
    RESULTS.write_text(text)
    print(f"\nwrote {RESULTS.relative_to(BENCH_DIR.parent)}")
    return text


def main() -> int:
    """Entry point of `python -m bench.run`; exit status 1 with a message on failure."""
    try:
        run(duration_seconds(os.environ), pairs_from_env(os.environ))
    except (BenchError, ServerError, WrkError, AnswerMismatch, ValueError) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
