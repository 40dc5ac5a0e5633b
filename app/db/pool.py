"""The asyncpg pool: one per process, with connections that skip the reset round trip."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy

__all__ = ["STATEMENT_CACHE_SIZE", "VantaConnection", "create_pool", "release_at_once"]

# Prepared statements kept per connection (asyncpg's LRU; its default is 100). Statement
# texts vary with the fast path's projections (columns and joins per plan) and the
# filters given, so a busy API sees a few hundred: each one prepared once per connection,
# then reused (tests/app/test_statement_cache.py).
STATEMENT_CACHE_SIZE = 1024
# Each prepared statement is planned once (server setting plan_cache_mode). PostgreSQL's
# "auto" re-plans a statement on every execution while it judges custom plans cheaper, and
# for our short lookups and keyset pages with joins, planning cost more than executing:
# 0.47 against 0.17 ms a Q3 statement. Their best plan does not depend on the values (index
# lookups by id, by company and time). In one A/B (bench conditions, python's and
# PostgreSQL's CPU per request): Q3 PostgreSQL CPU 0.31 -> 0.08 ms, requests/s +55%; Q1 and
# Q2 +29% and +28%.
PLAN_CACHE_MODE = "force_generic_plan"


class VantaConnection(asyncpg.Connection):  # type: ignore[misc]
    """A pooled connection that is not reset on release.

    asyncpg resets every released connection with one extra query (unlisten, reset
    session state...). This application never changes session state on pooled
    connections, so that query would be a wasted round trip on every request.
    Transactions left open are still rolled back by the pool.
    """

    def get_reset_query(self) -> str:
        return ""


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda value: orjson.dumps(value).decode(),
        decoder=orjson.loads,
        schema="pg_catalog",
    )


async def create_pool(
    dsn: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    statement_timeout_ms: int = 0,
    connect_timeout: float = 60.0,
    application_name: str | None = None,
    **kwargs: Any,
) -> asyncpg.Pool:
    """Create the process-wide pool; jsonb values come back as Python objects.

    ``statement_timeout_ms`` (0: none) makes PostgreSQL cancel any longer statement, so a
    runaway query cannot hold a connection; ``connect_timeout`` bounds each new connection
    (an unreachable server must fail fast, not hang requests). ``application_name`` names
    the pool's sessions in ``pg_stat_activity`` (which pool a connection belongs to).

    Recommended use::

        pool = await create_pool(settings.database_url)
        try:
            ...
        finally:
            await pool.close()
    """
    settings = dict(kwargs.pop("server_settings", None) or {})
    if statement_timeout_ms > 0:
        settings["statement_timeout"] = str(statement_timeout_ms)
    if application_name is not None:
        settings["application_name"] = application_name
    settings.setdefault("plan_cache_mode", PLAN_CACHE_MODE)
    kwargs["server_settings"] = settings
    pool = await asyncpg.create_pool(
        dsn,
        timeout=connect_timeout,
        min_size=min_size,
        max_size=max_size,
        connection_class=VantaConnection,
        init=_init_connection,
        statement_cache_size=kwargs.pop("statement_cache_size", STATEMENT_CACHE_SIZE),
        **kwargs,
    )
    assert pool is not None
    return pool


def release_at_once(pool: asyncpg.Pool, conn: Any) -> bool:
    """Give ``conn`` back to ``pool`` now when that needs no I/O; False (nothing done) when
    it would need some, or ``conn`` is not one of ``pool``'s: then ``pool.release`` must.

    asyncpg's release runs in a new Task under ``asyncio.shield`` and through its reset
    coroutines on every query, about a sixth of a Q3 request's CPU in-process. A connection
    outside a transaction, with no cancellation in flight, within its query and generation
    limits and without listeners has nothing to reset (VantaConnection sends no reset
    query): this does what asyncpg's release then does, without suspending. It relies on
    asyncpg internals of the minor pinned in pyproject.toml; tests/app/db/test_pool.py
    fails when their shape changes.
    """
    if type(conn) is not PoolConnectionProxy:
        return False
    holder, con = conn._holder, conn._con
    if con is None or holder._pool is not pool or pool._closed or pool._reset is not None:
        return False
    protocol = con._protocol
    if (
        protocol is None
        or con.is_closed()
        or con._top_xact is not None
        or protocol.is_in_transaction()
        or protocol._is_cancelling()
        or protocol.queries_count >= holder._max_queries
        or holder._generation != pool._generation
        or con._listeners
        or con._log_listeners
        or con.get_reset_query()
    ):
        return False
    con._on_release()  # as Pool.release: invalidates references to the proxy
    holder._timeout = None
    holder._release()  # back in the pool's queue, a waiting acquire woken
    holder._setup_inactive_callback()
    return True
