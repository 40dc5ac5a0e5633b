"""A private PostgreSQL primary and its hot standby, started and removed by the tests.

Debian's PostgreSQL binaries (``initdb``, ``pg_ctl``, ``pg_basebackup -R``), each server on
its own port (9200-9299) and data directory under a temp dir. As root the servers run as
the ``postgres`` OS user, which owns the directory. ``missing_reason()`` says why the
tests must skip (no binaries, no ``postgres`` user) or None.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import asyncpg

__all__ = [
    "PG_BIN",
    "PostgresServer",
    "free_port_in_range",
    "missing_reason",
    "postgres_server",
    "standby_pair",
]

PG_BIN = Path(os.environ.get("VANTA_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
PORTS = range(9200, 9300)  # the range hand-started test servers use on this machine


def missing_reason() -> str | None:
    """Why a primary + standby cannot be started here, or None."""
    for tool in ("initdb", "pg_ctl", "pg_basebackup", "postgres"):
        if not (PG_BIN / tool).is_file():
            return f"PostgreSQL binary {PG_BIN / tool} not found (set VANTA_TEST_PG_BIN)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run PostgreSQL as"
        if shutil.which("runuser") is None:
            return "running as root and runuser is not installed"
    return None


def free_port_in_range(host: str = "127.0.0.1", ports: range = PORTS) -> int:
    """A port in ``ports`` nothing listens on now (another test run may take it later)."""
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def _run(args: Sequence[str], **kwargs: object) -> None:
    """Run a PostgreSQL tool, as the postgres user when we are root."""
    command = list(args)
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


class PostgresServer:
    """One server: its data directory, port and URL; ``start``/``stop`` by pg_ctl."""

    def __init__(self, data_dir: Path, port: int, listen: str = "127.0.0.1") -> None:
        self.data_dir = data_dir
        self.port = port
        self.listen = listen
        self.host = listen.split(",")[0].strip()
        self.url = f"postgresql://postgres@{self.host}:{port}/postgres"

    def configure(self, **settings: str) -> None:
        """Append settings to postgresql.conf (later lines win)."""
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            for name, value in settings.items():
                conf.write(f"{name} = '{value}'\n")

    def start(self) -> None:
        log = self.data_dir.parent / f"{self.data_dir.name}.log"
        _run([str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-l", str(log), "-w", "start"])

    def stop(self, mode: str = "fast") -> None:
        _run([str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop"])

    def running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()


GUARD_SECONDS = 60.0  # a hung start fails the test; the wait itself is for a condition


async def _wait_streaming(primary_url: str) -> None:
    """Until the primary has a streaming standby (a condition, polled)."""
    conn = await asyncpg.connect(primary_url)
    try:
        async with asyncio.timeout(GUARD_SECONDS):
            streaming = 0
            while not streaming:
                streaming = await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
                )
                if not streaming:
                    await asyncio.sleep(0.05)
    finally:
        await conn.close()


def _init_primary(root: Path, listen: str, hba: Sequence[str]) -> PostgresServer:
    """initdb and start a primary under ``root`` (owned by the postgres user when root)."""
    host = listen.split(",")[0].strip()
    primary = PostgresServer(root / "primary", free_port_in_range(host), listen)
    _run([str(PG_BIN / "initdb"), "-D", str(primary.data_dir), "-A", "trust", "-U",
          "postgres", "--no-sync", "--no-instructions"])  # fmt: skip
    primary.configure(
        port=str(primary.port),
        listen_addresses=listen,
        unix_socket_directories=str(root),
        fsync="off",
        synchronous_commit="off",
        full_page_writes="off",
        wal_level="replica",
        max_wal_senders="5",
        shared_buffers="32MB",
    )
    if hba:
        with (primary.data_dir / "pg_hba.conf").open("a") as conf:
            conf.write("\n".join(hba) + "\n")
    primary.start()
    return primary


def _temp_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="vanta-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    return root


def _remove(root: Path, servers: Sequence[PostgresServer]) -> None:
    for server in reversed(servers):
        if server.running():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                server.stop("immediate")
    shutil.rmtree(root, ignore_errors=True)


@contextlib.asynccontextmanager
async def postgres_server(
    listen: str = "127.0.0.1", hba: Sequence[str] = ()
) -> AsyncIterator[PostgresServer]:
    """``async with postgres_server(...) as server``: one private server, removed after."""
    root = _temp_root()
    servers: list[PostgresServer] = []
    try:
        servers.append(_init_primary(root, listen, hba))
        yield servers[0]
    finally:
        _remove(root, servers)


@contextlib.asynccontextmanager
async def standby_pair(
    listen: str = "127.0.0.1", hba: Sequence[str] = ()
) -> AsyncIterator[tuple[PostgresServer, PostgresServer]]:
    """``async with standby_pair() as (primary, standby)``: both running, standby streaming.

    ``listen``: listen_addresses of both (the first is the host of their URLs); ``hba``:
    extra pg_hba.conf lines (e.g. trust for a test network). Everything is removed after.
    """
    root = _temp_root()
    servers: list[PostgresServer] = []
    try:
        primary = _init_primary(root, listen, hba)
        servers.append(primary)
        host = primary.host
        standby = PostgresServer(root / "standby", free_port_in_range(host), listen)
        _run([str(PG_BIN / "pg_basebackup"), "-h", host, "-p", str(primary.port), "-U",
              "postgres", "-D", str(standby.data_dir), "-R", "-X", "stream"])  # fmt: skip
        standby.configure(port=str(standby.port), hot_standby="on")
        standby.start()
        servers.append(standby)
        await _wait_streaming(primary.url)
        yield primary, standby
    finally:
        _remove(root, servers)
