"""The pool's release without I/O (app.db.pool.release_at_once) and the asyncpg internals it uses."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from asyncpg.pool import PoolConnectionHolder

from app.db.pool import create_pool, release_at_once
from app.db.session import DbSession
from tests.conftest import TestDatabase

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"


@pytest.fixture
async def pool(test_db: TestDatabase) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(test_db.url, min_size=1, max_size=1)
    try:
        yield pool
    finally:
        await pool.close()


def _count_tasks(loop: asyncio.AbstractEventLoop) -> list[Any]:
    """Record every task created on ``loop`` from now on (until the factory is reset)."""
    created: list[Any] = []
    factory = loop.get_task_factory()

    def counting(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        created.append(coro)
        if factory is not None:
            return factory(loop, coro, **kwargs)
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(counting)
    return created


async def test_a_query_gives_its_connection_back_without_a_task(pool: asyncpg.Pool) -> None:
    """asyncpg's release shields a new Task per query; an idle connection needs none."""
    session = DbSession(pool)
    await session.fetch("SELECT 1")  # warm: the statement is prepared
    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()
    created = _count_tasks(loop)
    try:
        rows = await session.fetch("SELECT 1 AS one")
    finally:
        loop.set_task_factory(previous)
    assert [row["one"] for row in rows] == [1]
    assert created == []
    assert pool.get_idle_size() == 1


async def test_released_at_once_is_as_pool_release_leaves_it(pool: asyncpg.Pool) -> None:
    conn = await pool.acquire()
    raw = conn._con
    holder = conn._holder
    assert await conn.fetchval("SELECT 1") == 1
    assert release_at_once(pool, conn)
    assert pool.get_idle_size() == 1
    assert holder._in_use is None
    assert holder._inactive_callback is not None  # the idle timer is armed again
    with pytest.raises(asyncpg.InterfaceError):  # the proxy is detached
        await conn.fetchval("SELECT 1")
    again = await pool.acquire()
    try:
        assert again._con is raw and await again.fetchval("SELECT 2") == 2
    finally:
        await pool.release(again)


async def test_what_needs_io_or_is_not_ours_is_left_to_pool_release(
    pool: asyncpg.Pool, test_db: TestDatabase
) -> None:
    assert not release_at_once(pool, object())
    conn = await pool.acquire()
    try:
        transaction = conn.transaction()
        await transaction.start()
        assert not release_at_once(pool, conn)  # a ROLLBACK to send
        await transaction.rollback()

        def on_notice(*_: Any) -> None:
            return None

        conn.add_log_listener(on_notice)
        assert not release_at_once(pool, conn)  # asyncpg warns about and drops listeners
        conn.remove_log_listener(on_notice)

        other = await create_pool(test_db.url, min_size=0, max_size=1)
        try:
            assert not release_at_once(other, conn)  # Pool.release refuses it
        finally:
            await other.close()

        await pool.expire_connections()
        assert not release_at_once(pool, conn)  # to be closed, not reused
    finally:
        await pool.release(conn)
    assert pool.get_idle_size() == 0  # the expired connection was closed


async def test_a_connection_at_its_query_limit_is_left_to_pool_release(
    test_db: TestDatabase,
) -> None:
    pool = await create_pool(test_db.url, min_size=1, max_size=1, max_queries=1)
    try:
        conn = await pool.acquire()
        await conn.fetchval("SELECT 1")
        assert not release_at_once(pool, conn)  # asyncpg closes it
        await pool.release(conn)
    finally:
        await pool.close()


def test_the_asyncpg_internals_release_at_once_copies_are_unchanged() -> None:
    """release_at_once does what these asyncpg functions do for an idle connection; if
    asyncpg changes them (a new minor), check it against them and move the pin."""
    pin = re.search(r'"asyncpg>=([\d.]+),<([\d.]+)"', PYPROJECT.read_text())
    assert pin is not None, "pyproject.toml pins asyncpg's minor (app.db.pool)"
    major_minor = ".".join(asyncpg.__version__.split(".")[:2])
    assert major_minor == pin.group(1), (asyncpg.__version__, pin.group(0))
    pool_release = inspect.getsource(asyncpg.Pool.release)
    assert "connection._con._on_release()" in pool_release
    assert "asyncio.shield(ch.release(timeout))" in pool_release
    holder_release = inspect.getsource(PoolConnectionHolder.release)
    for step in (
        "self._con._protocol.queries_count >= self._max_queries",
        "self._generation != self._pool._generation",
        "self._con._protocol._is_cancelling()",
        "self._pool._reset is not None",
        "await self._con.reset(timeout=budget)",
        "self._release()",
        "self._setup_inactive_callback()",
    ):
        assert step in holder_release, step
    assert "self._timeout = None" in holder_release
    reset = inspect.getsource(asyncpg.Connection._reset)
    assert "self._listeners.clear()" in reset and "self._log_listeners.clear()" in reset
    assert "self._top_xact is not None" in reset and '"ROLLBACK"' in reset
    assert "reset_query = self.get_reset_query()" in inspect.getsource(asyncpg.Connection.reset)
