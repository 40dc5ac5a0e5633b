"""Prepared statements are reused per connection: a repeated query is not prepared again."""

from __future__ import annotations

import asyncpg
import pytest

from app.auth import Viewer
from app.config import Settings
from app.db.pool import create_pool
from app.db.session import DbSession
from app.execution import execute_operation
from app.protocol import Operation
from loaders.factory import create_loaders
from schema.build import build_schema
from schema.context import Context
from tests.conftest import TestDatabase
from tests.world import World

Q3 = "query($id: ID!) { document(id: $id) { id filename company { name } metadata { tags } } }"


async def _prepared(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM pg_prepared_statements"))


async def test_a_repeated_query_reuses_its_prepared_statement(
    test_db: TestDatabase, world: World
) -> None:
    schema = build_schema()
    pool = await create_pool(test_db.url, min_size=1, max_size=1)  # one connection
    viewer = Viewer(subject="t", role="admin", company_ids=None)
    settings = Settings(database_url=test_db.url)
    operation = Operation(Q3, {"id": str(world.documents["a"][0])}, None, None)
    try:

        async def run() -> None:
            db = DbSession(pool)
            context = Context(None, settings, db, pool, create_loaders(db, viewer), viewer, "t")
            outcome = await execute_operation(schema, operation, context, allow_mutations=False)
            assert outcome.status == 200 and "errors" not in outcome.body
            assert outcome.path == "fast" and db.round_trips == 1

        await run()
        after_first = await _prepared(pool)
        assert after_first >= 1  # named, cached statements (a size of 0 prepares none)
        for _ in range(5):
            await run()
        assert await _prepared(pool) == after_first  # nothing prepared again
    finally:
        await pool.close()


async def test_prepared_statements_are_planned_once(test_db: TestDatabase) -> None:
    """Generic plans: PostgreSQL's "auto" re-plans our short statements on every execution."""
    pool = await create_pool(test_db.url, min_size=1, max_size=1)
    try:
        assert await pool.fetchval("SHOW plan_cache_mode") == "force_generic_plan"
    finally:
        await pool.close()


def test_limits_are_literals_the_generic_plan_can_see() -> None:
    from app.db.params import sql_limit

    assert sql_limit(101) == "101"
    for bad in (-1, True, "5; DROP TABLE documents", 1.5):
        with pytest.raises(ValueError):
            sql_limit(bad)  # type: ignore[arg-type]
