"""PostgreSQL failing under a running server: clear errors, no hang, recovery without restart.

A TCP proxy the test controls sits between the app and the real PostgreSQL and cuts, stalls or
restores real connections.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from aiohttp.test_utils import TestClient

from app.db.session import DbSession
from app.errors import ApiError
from app.resources import DB_POOL
from tests.conftest import Api, StartApp, TestDatabase, make_token
from tests.services import TcpProxy

DATA_QUERY = "{ companies(first: 1) { nodes { id } } }"


def _via(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username or 'postgres'}@127.0.0.1:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@pytest.fixture
async def proxy(test_db: TestDatabase) -> AsyncIterator[TcpProxy]:
    parts = urlsplit(test_db.url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.start()
    yield proxy
    await proxy.close()


async def _query(client: TestClient) -> tuple[int, dict[str, Any]]:
    response = await client.post(
        "/graphql", json={"query": DATA_QUERY}, headers={"Authorization": f"Bearer {make_token()}"}
    )
    return response.status, await response.json()


def _codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def test_postgres_cut_gives_service_unavailable_then_recovers(
    start_app: StartApp, proxy: TcpProxy, test_db: TestDatabase
) -> None:
    async with start_app(database_url=_via(test_db.url, proxy.port), db_pool_min=1) as client:
        status, body = await _query(client)
        assert status == 200 and "errors" not in body, body

        proxy.cut()
        status, body = await _query(client)
        assert status == 200
        assert _codes(body) == ["SERVICE_UNAVAILABLE"]
        assert body["data"] is None
        ready = await client.get("/readyz")
        assert ready.status == 503
        assert (await ready.json())["failing"] == ["postgres"]
        assert (await client.get("/healthz")).status == 200

        proxy.restore()
        status, body = await _query(client)
        assert status == 200 and "errors" not in body, body  # no restart needed
        assert (await client.get("/readyz")).status == 200


async def test_hung_postgres_ends_in_a_timeout_error(
    start_app: StartApp, proxy: TcpProxy, test_db: TestDatabase
) -> None:
    overrides = {
        "database_url": _via(test_db.url, proxy.port),
        "db_pool_min": 1,
        "request_timeout_seconds": 0.5,
    }
    async with start_app(**overrides) as client:
        assert (await _query(client))[0] == 200
        proxy.stall()
        response = await client.post(
            "/graphql",
            json={"query": DATA_QUERY},
            headers={"Authorization": f"Bearer {make_token()}", "X-Request-Id": "hung-1"},
        )
        body = await response.json()
        proxy.restore()
    assert response.status == 504
    assert body == {
        "errors": [
            {
                "message": "The request took longer than 0.5 s and was stopped.",
                "extensions": {"code": "TIMEOUT", "requestId": "hung-1"},
            }
        ]
    }


async def test_unanswering_postgres_fails_at_the_connect_timeout_not_the_request_timeout(
    start_app: StartApp, proxy: TcpProxy, test_db: TestDatabase
) -> None:
    overrides = {
        "database_url": _via(test_db.url, proxy.port),
        "db_pool_min": 0,  # no connection yet: the request has to open one
        "db_connect_timeout_seconds": 0.2,
        "db_acquire_timeout_seconds": 30.0,
        "request_timeout_seconds": 5.0,  # without the connect bound this would end in TIMEOUT
    }
    async with start_app(**overrides) as client:
        proxy.stall()  # TCP connects, PostgreSQL never answers the startup packet
        status, body = await _query(client)
        proxy.restore()
        assert status == 200
        assert _codes(body) == ["SERVICE_UNAVAILABLE"]
        status, body = await _query(client)
        assert status == 200 and "errors" not in body, body


async def test_exhausted_pool_waits_a_bound_then_service_unavailable(start_app: StartApp) -> None:
    overrides = {"db_pool_min": 1, "db_pool_max": 1, "db_acquire_timeout_seconds": 0.2}
    async with start_app(**overrides) as client:
        pool = client.app[DB_POOL]
        async with pool.acquire():  # the only connection is busy
            status, body = await _query(client)
            assert status == 200
            assert _codes(body) == ["SERVICE_UNAVAILABLE"]
        status, body = await _query(client)
        assert status == 200 and "errors" not in body, body


async def test_statement_timeout_cancels_slow_sql_with_timeout_code(start_app: StartApp) -> None:
    async with start_app(statement_timeout_ms=50) as client:
        pool = client.app[DB_POOL]
        async with pool.acquire() as conn:
            assert await conn.fetchval("SHOW statement_timeout") == "50ms"
        with pytest.raises(ApiError) as raised:
            await DbSession(pool).fetch("SELECT pg_sleep(5)")
        assert raised.value.code == "TIMEOUT"
        async with DbSession(pool).transaction() as tx:
            assert await tx.fetchval("SELECT 1") == 1


async def test_masked_error_request_id_is_in_the_log_line(
    api: Api, admin_token: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import app.db.companies as company_sql

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(company_sql, "list_companies", broken)
    with caplog.at_level(logging.ERROR, logger="vanta.errors"):
        response = await api.client.post(
            "/graphql",
            json={"query": DATA_QUERY},
            headers={"Authorization": f"Bearer {admin_token}", "X-Request-Id": "find-me-42"},
        )
    body = await response.json()
    assert response.status == 200
    error = body["errors"][0]
    assert error["message"] == "Internal server error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "find-me-42"}
    assert "secret" not in await response.text()
    lines = [r.getMessage() for r in caplog.records if r.name == "vanta.errors"]
    assert any("find-me-42" in line for line in lines), lines
    assert any("secret internals" in str(r.exc_info) for r in caplog.records if r.exc_info)


class _RecordingPool:
    """A pool that hands out one fake connection and records how it is given back."""

    def __init__(self, idle: int = 1, in_transaction: bool = False) -> None:
        self.released: list[dict[str, Any]] = []
        self.idle = idle
        self.in_transaction = in_transaction

    def is_closed(self) -> bool:
        return False

    def is_in_transaction(self) -> bool:
        return self.in_transaction

    def get_idle_size(self) -> int:
        return self.idle

    async def acquire(self) -> Any:
        if not self.idle:  # every connection busy: the caller waits (for ever, here)
            import asyncio

            await asyncio.Event().wait()
        return self

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        return []

    async def release(self, conn: Any, **kwargs: Any) -> None:
        self.released.append(kwargs)


async def test_a_released_connection_waits_for_the_server_at_most_the_acquire_timeout() -> None:
    """Releasing a connection left in a transaction waits for the server's ROLLBACK;
    unbounded, a hung server would keep every such connection (and a pool) forever. One
    outside a transaction releases without I/O, so no timer is armed for it."""
    pool = _RecordingPool(in_transaction=True)
    session = DbSession(pool, acquire_timeout=0.75)  # type: ignore[arg-type]
    assert await session.fetch("SELECT 1") == []
    assert pool.released == [{"timeout": 0.75}]
    assert session.round_trips == 1
    idle = _RecordingPool()
    assert await DbSession(idle, acquire_timeout=0.75).fetch("SELECT 1") == []  # type: ignore[arg-type]
    assert idle.released == [{"timeout": None}]


async def test_acquire_is_bounded_when_no_connection_is_idle() -> None:
    """Without an idle connection the wait for one is bounded by the acquire timeout and
    answers SERVICE_UNAVAILABLE (with one idle, no timer is armed at all)."""
    session = DbSession(_RecordingPool(idle=0), acquire_timeout=0.05)  # type: ignore[arg-type]
    with pytest.raises(ApiError) as raised:
        await session.fetch("SELECT 1")
    assert raised.value.code == "SERVICE_UNAVAILABLE"


async def test_request_timeout_is_not_extended_by_the_pool_release(
    start_app: StartApp, proxy: TcpProxy, test_db: TestDatabase
) -> None:
    """The budget includes giving the connection back: with a hung server, releasing a
    cancelled connection would wait the whole acquire timeout (here an hour)."""
    import asyncio

    overrides = {
        "database_url": _via(test_db.url, proxy.port),
        "db_pool_min": 1,
        "request_timeout_seconds": 0.5,
        "db_acquire_timeout_seconds": 3600.0,
    }
    async with start_app(**overrides) as client:
        assert (await _query(client))[0] == 200
        proxy.stall()
        try:
            # Answered while PostgreSQL is still stalled, or the release was inside.
            status, body = await asyncio.wait_for(_query(client), timeout=60)
        finally:
            proxy.restore()
        assert status == 504
        assert _codes(body) == ["TIMEOUT"]
        status, body = await _query(client)  # the pool recovers with a fresh connection
        assert status == 200 and "errors" not in body, body


async def test_mutation_timeout_is_not_extended_by_rollback_or_release(
    start_app: StartApp, proxy: TcpProxy, test_db: TestDatabase
) -> None:
    import asyncio

    overrides = {
        "database_url": _via(test_db.url, proxy.port),
        "db_pool_min": 1,
        "request_timeout_seconds": 0.5,
        "db_acquire_timeout_seconds": 3600.0,
    }
    mutation = 'mutation { approveLedgerEntry(id: "1") { id } }'
    async with start_app(**overrides) as client:
        assert (await _query(client))[0] == 200
        proxy.stall()
        try:
            response = await asyncio.wait_for(
                client.post(
                    "/graphql",
                    json={"query": mutation},
                    headers={"Authorization": f"Bearer {make_token()}"},
                ),
                timeout=60,
            )
            body = await response.json()
        finally:
            proxy.restore()
        assert response.status == 504, body
        assert _codes(body) == ["TIMEOUT"]
