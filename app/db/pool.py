"""The asyncpg pool: one per process, with connections that skip the reset round trip."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

__all__ = ["STATEMENT_CACHE_SIZE", "VantaConnection", "create_pool"]

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
