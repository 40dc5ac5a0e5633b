"""``vanta serve --workers N``: gunicorn master, aiohttp workers, one embedded PostgreSQL,
graceful SIGTERM."""

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
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import psutil
import pytest

from app.process.gunicorn import worker_class
from tests.conftest import TestDatabase

VANTA = [sys.executable, "-m", "app.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANTA_")}
    env["VANTA_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


@dataclass
class Served:
    base: str
    token: str
    proc: asyncio.subprocess.Process
    lines: list[str]

    async def wait_for_line(self, pattern: str) -> str:
        """Read the server's output until a line matches ``pattern``."""
        assert self.proc.stdout is not None
        async with asyncio.timeout(60):
            while True:
                line = (await self.proc.stdout.readline()).decode()
                if not line:
                    raise AssertionError("vanta serve exited:\n" + "".join(self.lines))
                self.lines.append(line)
                if re.search(pattern, line):
                    return line

    async def booted_workers(self, count: int) -> set[int]:
        """The pids of the first ``count`` workers gunicorn booted, read from its log.

        The master forks its workers one by one (with a short random pause between them), so
        the first answer can come before the second worker exists: wait for its log line.
        """
        booted = r"Booting worker with pid: \d+"
        lines = [line for line in self.lines if re.search(booted, line)]
        while len(lines) < count:
            lines.append(await self.wait_for_line(booted))
        return {int(line.rsplit(" ", 1)[1]) for line in lines}


@asynccontextmanager
async def _serving(env: dict[str, str], *flags: str) -> AsyncIterator[Served]:
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        *VANTA,
        "serve",
        "--port",
        str(port),
        *flags,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    served = Served(f"http://127.0.0.1:{port}", "", proc, [])
    try:
        line = await served.wait_for_line(r"dev token \(admin, all companies\): ")
        served.token = line.rsplit(" ", 1)[1].strip()
        # gunicorn binds before forking: once it listens, connections queue for the workers.
        await served.wait_for_line(r"Listening at: http://127\.0\.0\.1:" + str(port))
        yield served
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(60):
                rest, _ = await proc.communicate()
            served.lines.extend(rest.decode().splitlines(keepends=True))


async def _viewer_role(session: aiohttp.ClientSession, served: Served) -> str:
    async with session.post(
        f"{served.base}/graphql",
        json={"query": "{ viewer { role } }"},
        headers={"Authorization": f"Bearer {served.token}"},
    ) as response:
        assert response.status == 200
        return str((await response.json())["data"]["viewer"]["role"])


def _postmasters(pgdata: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if (proc.info["name"] or "").startswith("postgres") and str(pgdata) in " ".join(cmdline):
            found.append(proc)
    return found


async def test_two_workers_share_one_embedded_postgres_and_stop_cleanly() -> None:
    private = Path(tempfile.mkdtemp(prefix="vanta-workers-"))
    pgdata = private / "data" / "pgdata"
    # VANTA_WORKERS and VANTA_PORT say otherwise: the flags win.
    env = _env(private / "data", VANTA_WORKERS="1", VANTA_PORT="1")
    try:
        async with _serving(env, "--workers", "2", "--host", "127.0.0.1") as served:
            async with aiohttp.ClientSession() as session:
                assert await _viewer_role(session, served) == "admin"
            booted = await served.booted_workers(2)
            workers = psutil.Process(served.proc.pid).children()
            assert {w.pid for w in workers} == booted, [w.cmdline() for w in workers]
            assert len(_postmasters(pgdata)) == 1
            assert (pgdata / "postmaster.pid").exists()
        assert served.proc.returncode == 0, "".join(served.lines)
        assert not (pgdata / "postmaster.pid").exists()
        assert any("Using worker: aiohttp.Gunicorn" in line for line in served.lines)
    finally:
        shutil.rmtree(private, ignore_errors=True)


async def test_sigterm_lets_an_in_flight_request_finish(
    test_db: TestDatabase, tmp_path: Path
) -> None:
    """A request blocked on a lock when SIGTERM arrives still gets its answer, then exit 0."""
    url = await test_db.create_empty()
    env = _env(tmp_path / "data", VANTA_DATABASE_URL=url, VANTA_SEED_DEMO="1")
    async with _serving(env, "--workers", "2") as served, aiohttp.ClientSession() as session:
        assert await _viewer_role(session, served) == "admin"
        locker = await asyncpg.connect(url)
        try:
            transaction = locker.transaction()
            await transaction.start()
            await locker.execute("LOCK TABLE documents IN ACCESS EXCLUSIVE MODE")
            in_flight = asyncio.create_task(
                session.post(
                    f"{served.base}/graphql",
                    json={"query": "{ documents(first: 3) { nodes { id } } }"},
                    headers={"Authorization": f"Bearer {served.token}"},
                )
            )
            for _ in range(1500):  # until the request is waiting on the lock (polled)
                if await locker.fetchval(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                ):
                    break
                await asyncio.sleep(0.02)
            else:
                raise AssertionError("the request never reached the locked table")
            served.proc.send_signal(signal.SIGTERM)
            await served.wait_for_line(r"Handling signal: term")
            await transaction.commit()
        finally:
            await locker.close()
        response = await in_flight
        assert response.status == 200
        body = await response.json()
        assert len(body["data"]["documents"]["nodes"]) == 3
        async with asyncio.timeout(60):
            await served.proc.communicate()
    assert served.proc.returncode == 0, "".join(served.lines)


def test_uvloop_worker_when_uvloop_is_installed() -> None:
    pytest.importorskip("uvloop")
    assert worker_class() == "aiohttp.GunicornUVLoopWebWorker"


@pytest.mark.parametrize("flags", [["--workers", "0"], ["--port", "70000"], ["--port", "x"]])
async def test_bad_serve_flags_are_refused(flags: list[str], tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        *VANTA, "serve", *flags, env=_env(tmp_path), stderr=asyncio.subprocess.PIPE
    )
    _, err = await proc.communicate()
    assert proc.returncode == 2
    assert flags[0] in err.decode()
