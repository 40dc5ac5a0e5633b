"""Real-service fixtures: a throwaway PostgreSQL database per session, the app over HTTP."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from app.auth import issue_token
from app.config import Settings
from app.migrate import apply_migrations
from app.server import create_app
from tests.world import World, build_world

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
JWT_SECRET = "test-secret-not-for-production-0123456789"


def _with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` (keeps host, user and query such as ?host=)."""
    head, sep, query = url.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}{sep}{query}"


async def _reachable(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


@pytest.fixture(scope="session")
def admin_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server we may create databases on: env, local, else the embedded one."""
    import asyncio

    url = os.environ.get("VANTA_TEST_DATABASE_URL") or DEFAULT_ADMIN_URL
    if asyncio.run(_reachable(url)):
        print(f"\n[tests] PostgreSQL: {url.split('@')[-1]}")
        yield url
        return
    from app.embedded_pg import embedded_postgres

    print("\n[tests] PostgreSQL: no local server reachable, using the embedded one")
    with embedded_postgres(tmp_path_factory.mktemp("pg")) as dsn:
        yield _with_database(dsn, "postgres")


@dataclass
class TestDatabase:
    __test__ = False  # a fixture value, not a test class

    url: str
    admin_url: str

    async def create_empty(self) -> str:
        """Another empty database on the same server (dropped when the session ends)."""
        name = f"vanta_test_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        _created.append(name)
        return _with_database(self.admin_url, name)


_created: list[str] = []


@pytest.fixture(scope="session")
async def test_db(admin_database_url: str) -> AsyncIterator[TestDatabase]:
    db = TestDatabase(url="", admin_url=admin_database_url)
    db.url = await db.create_empty()
    await apply_migrations(db.url)
    yield db
    conn = await asyncpg.connect(admin_database_url)
    try:
        for name in _created:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def conn(test_db: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the test database, for a test's own setup and checks."""
    connection = await asyncpg.connect(test_db.url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture(scope="session")
async def world(test_db: TestDatabase) -> World:
    conn = await asyncpg.connect(test_db.url)
    try:
        async with conn.transaction():
            return await build_world(conn)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def settings(test_db: TestDatabase, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=test_db.url,
        data_dir=tmp_path_factory.mktemp("data"),
        jwt_secret=JWT_SECRET,
        debug=True,
        # Most tests assert round trips per request; the cache tests use ``cached_api``.
        cache_enabled=False,
        # Off for the shared app (every test is the same subject); tests/app/ratelimit turn it on.
        rate_limit_per_minute=0,
        rate_limit_per_hour=0,
    )


@dataclass
class Api:
    """A client of the running app that speaks GraphQL over real HTTP."""

    client: TestClient

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any], Any]:
        all_headers = {"Authorization": f"Bearer {token}"} if token else {}
        all_headers.update(headers or {})
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        response = await self.client.post("/graphql", json=body, headers=all_headers)
        return response.status, await response.json(content_type=None), response.headers

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The ``data`` of a request that must succeed without errors."""
        status, body, _ = await self.post(query, variables, token)
        assert status == 200, body
        assert "errors" not in body, body["errors"]
        return body["data"]  # type: ignore[no-any-return]


async def start_api(settings: Settings, **app_options: Any) -> AsyncIterator[Api]:
    """The app built from ``settings``, served over real HTTP (``async for api in ...``)."""
    client = TestClient(TestServer(create_app(settings, **app_options)))
    await client.start_server()
    try:
        yield Api(client)
    finally:
        await client.close()


@asynccontextmanager
async def running(settings: Settings, **app_options: Any) -> AsyncIterator[Api]:
    """``async with running(settings) as api``: one more app instance, e.g. a second worker."""
    instance = start_api(settings, **app_options)
    api = await anext(instance)
    try:
        yield api
    finally:
        await instance.aclose()


StartApp = Callable[..., AbstractAsyncContextManager[TestClient]]


@pytest.fixture
def start_app(settings: Settings, world: World) -> StartApp:
    """``async with start_app(rate_limit_per_minute=3, ...) as client``: a fresh app client."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[TestClient]:
        async with running(replace(settings, **overrides)) as api:
            yield api.client

    return start


@pytest.fixture(scope="session")
async def api(settings: Settings, world: World) -> AsyncIterator[Api]:
    async for api in start_api(settings):
        yield api


@pytest.fixture(scope="session")
async def naive_api(settings: Settings, world: World) -> AsyncIterator[Api]:
    """The same app with loaders off (one query per row), for comparison."""
    async for api in start_api(replace(settings, loaders_enabled=False)):
        yield api


def make_token(
    role: str = "admin", companies: str | list[int] = "*", subject: str = "tester"
) -> str:
    return issue_token(JWT_SECRET, subject=subject, role=role, companies=companies)


@pytest.fixture(scope="session")
def admin_token() -> str:
    return make_token("admin", "*")
