"""The ``vanta`` command end to end: token, seed, and serve (embedded and external database)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import asyncpg
import jwt

from tests.conftest import TestDatabase

VANTA = [sys.executable, "-m", "app.cli"]
Q1 = (
    "query Q1($c: ID!) { documents(first: 100, filter: {companyId: $c}) { nodes { id filename "
    "company { id name } metadata { tags totalAmount currency } } } }"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _run(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *VANTA, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@asynccontextmanager
async def _serving(env: dict[str, str]) -> AsyncIterator[tuple[str, str]]:
    """Start ``vanta serve``; yield (base URL, printed dev token) once it prints its banner."""
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        *VANTA,
        "serve",
        env={**env, "VANTA_PORT": str(port)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    token = ""
    try:
        async with asyncio.timeout(60):
            while not token:
                line = (await proc.stdout.readline()).decode()
                if not line:
                    raise AssertionError("vanta serve exited early:\n" + "".join(lines))
                lines.append(line)
                if match := re.match(r"dev token \(admin, all companies\): (\S+)", line):
                    token = match.group(1)
        yield f"http://127.0.0.1:{port}", token
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                await proc.wait()
    assert proc.returncode == 0, "".join(lines)


async def _q1(session: aiohttp.ClientSession, base: str, token: str) -> dict:
    # The banner comes just before the socket opens: retry the connection briefly.
    async with asyncio.timeout(20):
        while True:
            try:
                async with session.post(
                    f"{base}/graphql",
                    json={"query": Q1, "variables": {"c": "1"}},
                    headers={"Authorization": f"Bearer {token}"},
                ) as response:
                    assert response.status == 200
                    return await response.json()
            except aiohttp.ClientConnectorError:
                await asyncio.sleep(0.05)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANTA_")}
    env["VANTA_DATA_DIR"] = str(tmp_path / "data")
    env.update(extra)
    return env


async def test_token_command_prints_a_token_the_server_accepts(tmp_path: Path) -> None:
    env = _env(tmp_path, VANTA_JWT_SECRET="cli-test-secret-0123456789-abcdefghij")
    code, out, _ = await _run("token", "--role", "viewer", "--companies", "3,1", env=env)
    assert code == 0
    claims = jwt.decode(out.strip(), "cli-test-secret-0123456789-abcdefghij", algorithms=["HS256"])
    assert claims["role"] == "viewer" and claims["companies"] == [1, 3]
    code, _, err = await _run("token", "--companies", "1,x", env=env)
    assert code == 2 and "not an integer" in err


async def test_bad_configuration_is_reported_by_variable_name(tmp_path: Path) -> None:
    code, _, err = await _run("migrate", env=_env(tmp_path, VANTA_PORT="eighty"))
    assert code == 2
    assert "VANTA_PORT" in err


async def test_seed_command_loads_the_requested_sizes(
    test_db: TestDatabase, tmp_path: Path
) -> None:
    url = await test_db.create_empty()
    env = _env(tmp_path, VANTA_DATABASE_URL=url)
    args = ["seed", "--companies", "3", "--documents", "300", "--ledger-entries", "500"]
    code, out, err = await _run(*args, env=env)
    assert code == 0, err
    assert "3 companies" in out and "300 documents" in out
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM documents") == 300
        assert await conn.fetchval("SELECT count(*) FROM ledger_entries") == 500
    finally:
        await conn.close()


async def test_serve_with_external_database_migrates_seeds_and_answers_q1(
    test_db: TestDatabase, tmp_path: Path
) -> None:
    url = await test_db.create_empty()
    env = _env(tmp_path, VANTA_DATABASE_URL=url, VANTA_SEED_DEMO="1")
    async with _serving(env) as (base, token), aiohttp.ClientSession() as session:
        body = await _q1(session, base, token)
        nodes = body["data"]["documents"]["nodes"]
        assert len(nodes) == 100
        assert {n["company"]["id"] for n in nodes} == {"1"}
        async with session.get(f"{base}/readyz") as response:
            assert response.status == 200


async def test_serve_without_database_url_runs_and_stops_embedded_postgres() -> None:
    # A private directory rather than tmp_path: other pytest sessions on the machine prune
    # old basetemp folders, which must not pull the data directory from under PostgreSQL.
    private = Path(tempfile.mkdtemp(prefix="vanta-embedded-"))
    try:
        await _embedded_serve_round_trip(private)
    finally:
        shutil.rmtree(private, ignore_errors=True)


async def _embedded_serve_round_trip(tmp_path: Path) -> None:
    env = _env(tmp_path)
    pgdata = tmp_path / "data" / "pgdata"
    async with _serving(env) as (base, token), aiohttp.ClientSession() as session:
        body = await _q1(session, base, token)
        assert len(body["data"]["documents"]["nodes"]) == 100
        assert (pgdata / "postmaster.pid").exists()
    # SIGTERM stopped the server, and the server stopped its private PostgreSQL.
    assert not (pgdata / "postmaster.pid").exists()


def test_startup_modules_do_not_import_spacy() -> None:
    code = (
        "import sys, app.cli, app.server, schema, loaders.factory; "
        "sys.exit(1 if 'spacy' in sys.modules else 0)"
    )
    import subprocess

    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
