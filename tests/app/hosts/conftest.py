"""Two API hosts in network namespaces of their own, one PostgreSQL and one Redis.

Every server is private to the test: PostgreSQL and redis-server listen only on the
gateway addresses of the test's veths, each API instance (``vanta serve``, the real
command) runs inside its namespace and is reached over real HTTP at its own address.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import pytest
import redis.asyncio as aioredis

from app.migrate import apply_migrations
from tests.conftest import JWT_SECRET
from tests.netns import Host, Namespaces, netns_missing_reason
from tests.standby import free_port_in_range, missing_reason, postgres_server

API_PORT = 9250  # inside each namespace: nothing else listens there
# A guard against a hung test, never a synchronisation point: every wait is for a condition.
GUARD_SECONDS = 90.0
RATE_PER_MINUTE = 40


@dataclass
class Hosts:
    a: str  # base URLs of the two API instances
    b: str
    database_url: str
    company_id: int


async def _wait_http(url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    async with aiohttp.ClientSession() as session, asyncio.timeout(GUARD_SECONDS):
        while True:
            if process.returncode is not None:
                tail = await asyncio.to_thread(log.read_text)
                raise RuntimeError(f"vanta serve exited: {tail[-3000:]}")
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)


async def _start_redis(hosts: list[Host], workdir: Path) -> tuple[asyncio.subprocess.Process, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port_in_range(hosts[0].gateway)
    process = await asyncio.create_subprocess_exec(
        binary,
        "--bind", *(host.gateway for host in hosts),
        "--port", str(port),
        "--protected-mode", "no",  # a private address only the test's namespaces reach
        "--save", "", "--appendonly", "no", "--dir", str(workdir),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,  # a process group of its own, stopped by _stop
    )  # fmt: skip
    client = aioredis.Redis(host=hosts[0].gateway, port=port, socket_connect_timeout=0.5)
    try:
        async with asyncio.timeout(GUARD_SECONDS):
            while True:
                try:
                    if await client.ping():
                        break
                except (OSError, aioredis.RedisError):
                    await asyncio.sleep(0.05)
    finally:
        await client.aclose()
    return process, f":{port}/0"


async def _stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM to the process group it leads (its gunicorn worker and pool processes);
    SIGKILL to the group if it has not exited within 20 s."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), 20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # anything of the group still left
    if process.returncode is None:
        await asyncio.wait_for(process.wait(), 20)


@pytest.fixture(scope="module")
async def hosts() -> AsyncIterator[Hosts]:
    reason = netns_missing_reason() or missing_reason()
    if reason is not None:
        print(f"\n[tests] two hosts: skipped: {reason}")
        pytest.skip(reason)
    workdir = Path(tempfile.mkdtemp(prefix="vanta-hosts-"))
    spaces = Namespaces()
    processes: list[asyncio.subprocess.Process] = []
    try:
        a, b = spaces.add(), spaces.add()
        async with postgres_server(
            listen=f"{a.gateway},{b.gateway}", hba=["host all all 10.231.0.0/16 trust"]
        ) as pg:
            redis_process, redis_tail = await _start_redis([a, b], workdir)
            processes.append(redis_process)
            await apply_migrations(pg.url)
            conn = await asyncpg.connect(pg.url)
            try:
                company = await conn.fetchval(
                    "INSERT INTO companies (name, registration_number, company_type) "
                    "VALUES ('Two Hosts Ltd', 'REG-2H', 'business_partner') RETURNING id"
                )
            finally:
                await conn.close()
            urls = []
            for host, job_workers in ((a, "1"), (b, "0")):
                env = {
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": str(workdir),
                    "VANTA_DATABASE_URL": f"postgresql://postgres@{host.gateway}:{pg.port}/postgres",
                    "VANTA_REDIS_URL": f"redis://{host.gateway}{redis_tail}",
                    "VANTA_JWT_SECRET": JWT_SECRET,
                    # One data directory for both: uploads live on shared storage
                    # (docs/data.md), as a worker on one host processes the other's.
                    "VANTA_DATA_DIR": str(workdir / "shared"),
                    "VANTA_JOB_WORKERS": job_workers,  # documents are processed on host a
                    "VANTA_RATE_LIMIT_PER_MINUTE": str(RATE_PER_MINUTE),
                    "VANTA_RATE_LIMIT_PER_HOUR": "10000",
                    "VANTA_DEBUG": "1",
                    "VANTA_SEED_DEMO": "0",
                }
                log = workdir / f"{host.namespace}.log"
                vanta = str(Path(sys.executable).parent / "vanta")
                with log.open("wb") as out:
                    process = await asyncio.create_subprocess_exec(
                        *host.command(
                            [vanta, "serve", "--host", host.address, "--port", str(API_PORT)]
                        ),
                        env=env,
                        stdout=out,
                        stderr=asyncio.subprocess.STDOUT,
                        start_new_session=True,  # its own process group, stopped as one
                    )
                processes.append(process)
                url = f"http://{host.address}:{API_PORT}"
                await _wait_http(url, process, log)
                urls.append(url)
            yield Hosts(urls[0], urls[1], pg.url, int(company))
            for process in reversed(processes):
                await _stop(process)
    finally:
        for process in reversed(processes):
            await _stop(process)
        spaces.close()
        shutil.rmtree(workdir, ignore_errors=True)
