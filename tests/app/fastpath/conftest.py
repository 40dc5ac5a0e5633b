"""In-process execution through ``execute_operation``, with the fast path on or off."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

import asyncpg
import orjson
import pytest

from app.auth import Viewer, decode_token
from app.config import Settings
from app.db.pool import create_pool
from app.db.session import DbSession
from app.documents.prepared import PreparedDocuments
from app.execution import execute_operation
from app.migrate import apply_migrations
from app.protocol import Operation, RequestError
from loaders.factory import create_loaders
from schema.build import VantaSchema, build_schema
from schema.context import Context
from tests.conftest import JWT_SECRET, TestDatabase, make_token
from tests.world import World, build_world


@dataclass(frozen=True)
class Result:
    status: int
    body: bytes
    path: str
    round_trips: int
    # What the loaders recorded for the response cache, and the SQL texts sent.
    tags: frozenset[str] = frozenset()
    statements: tuple[str, ...] = ()

    def json(self) -> Any:
        return orjson.loads(self.body)


class _RecordingSession(DbSession):
    """A DbSession that keeps the SQL text of every statement it sends."""

    __slots__ = ("sent",)

    def __init__(self, pool: asyncpg.Pool, acquire_timeout: float) -> None:
        super().__init__(pool, acquire_timeout)
        self.sent: list[str] = []

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        self.sent.append(sql)
        return await super().fetch(sql, *args)


@dataclass
class Executor:
    """Runs one operation as the HTTP layer would, minus HTTP."""

    schema: VantaSchema
    pool: asyncpg.Pool
    settings: Settings
    # Shared prepared documents (as the server's): plans kept across runs. None: each run
    # prepares its document afresh.
    documents: PreparedDocuments | None = None

    async def run(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        viewer: Viewer | None = None,
        *,
        fast: bool,
        operation_name: str | None = None,
    ) -> Result:
        # A generous wait for a connection: on a loaded machine the 2 s default could fail
        # one path only (a busy pool of 4), which would read as a difference between paths.
        db = _RecordingSession(self.pool, acquire_timeout=60.0)
        tags: set[str] = set()
        context = Context(
            request=None,
            settings=replace(self.settings, fastpath_enabled=fast),
            db=db,
            pool=self.pool,
            loaders=create_loaders(db, viewer, cache_tags=tags),
            viewer=viewer,
            request_id="req-test",
            cache_tags=tags,
        )
        request = Operation(query, variables, operation_name, None)
        try:
            outcome = await execute_operation(
                self.schema, request, context, allow_mutations=True, documents=self.documents
            )
        except RequestError as error:
            return Result(error.status, error.message.encode(), "request-error", db.round_trips)
        body = orjson.dumps(outcome.body)
        return Result(
            outcome.status, body, outcome.path, db.round_trips, frozenset(tags), tuple(db.sent)
        )

    async def both(
        self, query: str, variables: dict[str, Any] | None = None, viewer: Viewer | None = None
    ) -> tuple[Result, Result]:
        """(fast path on, fast path off) for the same request."""
        fast = await self.run(query, variables, viewer, fast=True)
        stock = await self.run(query, variables, viewer, fast=False)
        return fast, stock


@pytest.fixture(scope="session")
async def executor(
    test_db: TestDatabase, settings: Settings, world: World
) -> AsyncIterator[Executor]:
    pool = await create_pool(test_db.url, min_size=1, max_size=4)
    try:
        yield Executor(build_schema(), pool, settings)
    finally:
        await pool.close()


@pytest.fixture(scope="session")
def viewers(world: World) -> dict[str, Viewer]:
    """admin (all companies) and two viewers of different single companies."""
    a, b = world.companies["a"], world.companies["b"]
    return {
        "admin": decode_token(JWT_SECRET, make_token("admin", "*")),
        "viewer-a": decode_token(JWT_SECRET, make_token("viewer", [a], subject="va")),
        "viewer-b": decode_token(JWT_SECRET, make_token("viewer", [b], subject="vb")),
    }


async def run_without_database(schema: Any, query: str, *, fast: bool) -> tuple[bytes, str]:
    """(body bytes, path) of ``query`` on a schema that needs no database or viewer."""
    context = SimpleNamespace(
        settings=Settings(fastpath_enabled=fast),
        db=None,
        viewer=None,
        loaders=None,
        request_id="no-db",
        renew_loaders=lambda: None,
    )
    outcome = await execute_operation(
        schema,
        Operation(query, None, None, None),
        context,  # type: ignore[arg-type]
        allow_mutations=False,
    )
    return orjson.dumps(outcome.body), outcome.path


@asynccontextmanager
async def world_database(
    test_db: TestDatabase, adjust: Callable[[asyncpg.Connection, World], Awaitable[None]]
) -> AsyncIterator[tuple[World, str]]:
    """A database of its own with the test world, changed by ``adjust``: (world, url)."""
    url = await test_db.create_empty()
    await apply_migrations(url)
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            world = await build_world(conn)
            await adjust(conn, world)
        yield world, url
    finally:
        await conn.close()


@asynccontextmanager
async def executor_on(url: str, settings: Settings) -> AsyncIterator[Executor]:
    """An Executor over its own pool on ``url``."""
    pool = await create_pool(url, min_size=1, max_size=4)
    try:
        yield Executor(build_schema(), pool, settings)
    finally:
        await pool.close()
