"""MongoDB for the metadata tests: a real server from VANTA_TEST_MONGODB_URL, else a stand-in.

Also a database holding the known world with its metadata in both backends, and one app
per backend serving it over HTTP.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any

import asyncpg
import pytest

from app.config import Settings
from app.metadata.commands import run_copy, run_mongo_indexes
from app.metadata.mongo_client import create_mongo_client, metadata_collection
from app.migrate import apply_migrations
from tests.conftest import Api, TestDatabase, start_api
from tests.fakes.mongo import FakeMongoClient
from tests.world import World, build_world

MONGO_URL_ENV = "VANTA_TEST_MONGODB_URL"


def _mongo_mode() -> str:
    url = os.environ.get(MONGO_URL_ENV)
    if url:
        return f"real server at {url.split('@')[-1].split('/')[2] if '//' in url else url}"
    return f"in-memory stand-in (set {MONGO_URL_ENV} for a real server)"


def pytest_report_header(config: pytest.Config) -> str:
    return f"[tests] MongoDB: {_mongo_mode()}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.write_line(f"[tests] MongoDB: {_mongo_mode()}")


@dataclass
class MongoTarget:
    """Where MongoDB-backed tests put their data; ``client()`` is a fresh (or the fake) client."""

    base_url: str | None  # None: the in-memory stand-in
    fake: FakeMongoClient | None

    @property
    def real(self) -> bool:
        return self.base_url is not None

    def url(self, database: str) -> str:
        if self.base_url is None:
            return f"mongodb://in-memory.invalid/{database}"
        head, sep, query = self.base_url.partition("?")
        scheme, _, rest = head.partition("://")
        host = rest.split("/", 1)[0]
        return f"{scheme}://{host}/{database}{sep}{query}"

    def factory(self, database: str) -> Callable[[], Any]:
        if self.fake is not None:
            return lambda: self.fake
        return lambda: create_mongo_client(self.url(database))


@pytest.fixture(scope="session")
async def mongo_target() -> AsyncIterator[MongoTarget]:
    url = os.environ.get(MONGO_URL_ENV)
    target = MongoTarget(url, None if url else FakeMongoClient())
    print(f"\n[tests] MongoDB: {_mongo_mode()}")
    created: list[str] = []
    target.created = created  # type: ignore[attr-defined]
    yield target
    if target.real:
        client = create_mongo_client(target.url("admin"))
        try:
            for name in created:
                await client.drop_database(name)
        finally:
            await client.close()


def new_mongo_database(target: MongoTarget) -> str:
    name = f"vanta_test_{uuid.uuid4().hex[:12]}"
    target.created.append(name)  # type: ignore[attr-defined]
    return name


def collection_of(target: MongoTarget, database: str) -> tuple[Any, Any]:
    """(client, metadata collection) of ``database``; close the client when real."""
    client = target.factory(database)()
    return client, metadata_collection(client, target.url(database))


@dataclass
class DualWorld:
    """The known world in its own PostgreSQL database, its metadata also in MongoDB."""

    world: World
    database_url: str
    postgres: Settings
    mongo: Settings
    mongo_factory: Callable[[], Any]
    target: MongoTarget


@pytest.fixture(scope="session")
async def dual(test_db: TestDatabase, settings: Settings, mongo_target: MongoTarget) -> DualWorld:
    url = await test_db.create_empty()
    await apply_migrations(url)
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            world = await build_world(conn)
    finally:
        await conn.close()
    mongo_db = new_mongo_database(mongo_target)
    pg_settings = replace(settings, database_url=url)
    mongo_settings = replace(
        pg_settings, metadata_backend="mongo", mongodb_url=mongo_target.url(mongo_db)
    )
    factory = mongo_target.factory(mongo_db)
    await run_mongo_indexes(mongo_settings, factory)
    await run_copy(url, mongo_settings, to="mongo", progress=False, factory=factory)
    return DualWorld(world, url, pg_settings, mongo_settings, factory, mongo_target)


@pytest.fixture(scope="session")
async def pg_dual_api(dual: DualWorld) -> AsyncIterator[Api]:
    async for api in start_api(dual.postgres):
        yield api


@pytest.fixture(scope="session")
async def mongo_dual_api(dual: DualWorld) -> AsyncIterator[Api]:
    async for api in start_api(dual.mongo, mongo_client_factory=dual.mongo_factory):
        yield api
