"""Fixtures of the replica tests: a private primary + hot standby, apps reading from it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from app.config import Settings
from app.migrate import apply_migrations
from app.replicas.router import ReadRouter
from app.resources import READ_ROUTER
from tests.conftest import JWT_SECRET, Api, running
from tests.standby import PostgresServer, missing_reason, standby_pair

# A guard against a hung test, never a synchronisation point: every wait is for a condition.
GUARD_SECONDS = 30.0


@dataclass
class Pair:
    primary: PostgresServer
    standby: PostgresServer
    company_id: int  # one company, created before the standby was caught up

    async def on_primary(self, sql: str, *args: Any) -> Any:
        conn = await asyncpg.connect(self.primary.url)
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    async def on_standby(self, sql: str, *args: Any) -> Any:
        conn = await asyncpg.connect(self.standby.url)
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    async def pause_replay(self) -> None:
        await self.on_standby("SELECT pg_wal_replay_pause()")
        await wait_for(
            lambda: self.on_standby("SELECT pg_get_wal_replay_pause_state() = 'paused'"),
            "replay paused",
        )

    async def resume_replay(self) -> None:
        await self.on_standby("SELECT pg_wal_replay_resume()")
        await self.caught_up()

    async def caught_up(self) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        target = await self.on_primary("SELECT pg_current_wal_lsn()")
        await wait_for(
            lambda: self.on_standby("SELECT pg_last_wal_replay_lsn() >= $1", target),
            "standby caught up",
        )

    async def new_company(self, name: str) -> int:
        """A company written straight to the primary (no API, no read-your-writes mark)."""
        return int(
            await self.on_primary(
                "INSERT INTO companies (name, registration_number, company_type) "
                "VALUES ($1, $2, 'business_partner') RETURNING id",
                name,
                f"REG-{name}",
            )
        )


async def wait_for(check: Callable[[], Awaitable[Any]], what: str) -> Any:
    """Poll ``check`` until it returns something truthy (bounded by GUARD_SECONDS)."""
    try:
        async with asyncio.timeout(GUARD_SECONDS):
            while True:
                value = await check()
                if value:
                    return value
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for: {what}") from None


@pytest.fixture(scope="session")
async def pair() -> AsyncIterator[Pair]:
    """Started once for the replica tests; skipped with the reason where it cannot start."""
    reason = missing_reason()
    if reason is not None:
        print(f"\n[tests] replicas: skipped: {reason}")
        pytest.skip(reason)
    async with standby_pair() as (primary, standby):
        await apply_migrations(primary.url)
        ready = Pair(primary, standby, 0)
        ready.company_id = await ready.new_company("Replica Base Ltd")
        await ready.caught_up()
        yield ready


def replica_settings(pair: Pair, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": pair.primary.url,
        "database_replica_urls": (pair.standby.url,),
        "data_dir": data_dir,
        "jwt_secret": JWT_SECRET,
        "debug": True,
        "cache_enabled": False,
        "rate_limit_per_minute": 0,
        "rate_limit_per_hour": 0,
        "job_workers": 0,
        "replica_poll_seconds": 0.05,
        "replica_max_lag_seconds": 3600.0,  # lag tests lower it
        "read_your_writes_seconds": 3600.0,
        "db_connect_timeout_seconds": 2.0,
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def replica_api(
    pair: Pair, tmp_path: Path, **overrides: Any
) -> AsyncIterator[tuple[Api, ReadRouter]]:
    async with running(replica_settings(pair, tmp_path, **overrides)) as api:
        yield api, api.client.server.app[READ_ROUTER]


async def readyz_replica(api: Api) -> dict[str, Any]:
    response = await api.client.get("/readyz")
    body = await response.json()
    assert response.status == 200, body  # a replica never makes the API unready
    (replica,) = body["replicas"]
    return replica  # type: ignore[no-any-return]


async def metric(api: Api, name: str, **labels: str) -> float:
    """The value of one sample of /metrics (0 when absent)."""
    text = await (await api.client.get("/metrics")).text()
    for line in text.splitlines():
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if match is None or match[1] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(match[3])
    return 0.0
