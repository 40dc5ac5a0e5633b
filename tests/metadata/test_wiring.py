"""Process wiring of the metadata backend: outages, readiness, indexes, copy, CLI, imports."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from app.config import ConfigError, Settings
from app.metadata.commands import run_copy, run_mongo_indexes, run_reconcile
from app.metadata.mongo_client import INDEXES, create_mongo_client
from tests.conftest import Api, TestDatabase, make_token, start_api
from tests.metadata.conftest import DualWorld, MongoTarget, collection_of, new_mongo_database
from tests.metadata.test_backends_over_http import Q1

VANTA = [sys.executable, "-m", "app.cli"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def unreachable_mongo_api(dual: DualWorld) -> AsyncIterator[Api]:
    """The app with a real AsyncMongoClient aimed at a port where nothing listens."""
    url = f"mongodb://127.0.0.1:{_closed_port()}/vanta"
    settings = replace(dual.mongo, mongodb_url=url)

    def factory() -> object:
        return create_mongo_client(url, serverSelectionTimeoutMS=150, connectTimeoutMS=150)

    async for api in start_api(settings, mongo_client_factory=factory):
        yield api


async def test_mongodb_outage_is_service_unavailable_on_metadata_fields(
    dual: DualWorld, unreachable_mongo_api: Api
) -> None:
    token = make_token("admin", "*")
    variables = {"company": str(dual.world.companies["a"]), "first": 3}
    status, body, _ = await unreachable_mongo_api.post(Q1, variables, token)
    assert status == 200
    nodes = body["data"]["documents"]["nodes"]
    assert len(nodes) == 3 and all(node["metadata"] is None for node in nodes)
    codes = {error["extensions"]["code"] for error in body["errors"]}
    assert codes == {"SERVICE_UNAVAILABLE"}
    assert "metadata store is unavailable" in body["errors"][0]["message"]


async def test_failed_metadata_batch_leaves_no_unretrieved_failures(
    dual: DualWorld, unreachable_mongo_api: Api
) -> None:
    """A failed batch fails every key; none of those failures may go unhandled (asyncio would
    log each one as 'exception was never retrieved')."""
    loop = asyncio.get_running_loop()
    reported: list[str] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context["message"]))
    try:
        token = make_token("admin", "*")
        variables = {"company": str(dual.world.companies["a"]), "first": 10}
        status, body, _ = await unreachable_mongo_api.post(Q1, variables, token)
        assert status == 200 and body["errors"]
        gc.collect()  # unretrieved failures are reported when their futures are collected
    finally:
        loop.set_exception_handler(previous)
    assert reported == []


async def test_readyz_names_mongodb_when_it_does_not_answer(unreachable_mongo_api: Api) -> None:
    response = await unreachable_mongo_api.client.get("/readyz")
    body = await response.json()
    assert response.status == 503
    assert body["failing"] == ["mongodb"]
    assert body["checks"]["postgres"] == "ok"


async def test_readyz_checks_mongodb_with_the_mongo_backend(mongo_dual_api: Api) -> None:
    response = await mongo_dual_api.client.get("/readyz")
    body = await response.json()
    assert response.status == 200
    assert body["checks"] == {"postgres": "ok", "mongodb": "ok"}


async def test_indexes_are_created_idempotently(mongo_target: MongoTarget) -> None:
    database = new_mongo_database(mongo_target)
    settings = Settings(mongodb_url=mongo_target.url(database))
    factory = mongo_target.factory(database)
    expected = [model.document["name"] for model in INDEXES]
    assert await run_mongo_indexes(settings, factory) == expected
    assert await run_mongo_indexes(settings, factory) == expected
    client, collection = collection_of(mongo_target, database)
    if mongo_target.fake is not None:
        indexes = collection.indexes
    else:
        indexes = await collection.index_information()
        await client.close()
    assert {"document_id_unique", "company_id", "company_uploaded", "tags", "text_search"} <= set(
        indexes
    )
    texts = [n for n, ix in indexes.items() if any(kind == "text" for _, kind in ix["key"])]
    assert texts == ["text_search"]


async def test_copy_both_ways_is_idempotent(dual: DualWorld, test_db: TestDatabase) -> None:
    """PostgreSQL → MongoDB → a fresh PostgreSQL database gives back the same metadata."""
    count = sum(len(ids) for ids in dual.world.documents.values())
    again = await run_copy(
        dual.database_url, dual.mongo, to="mongo", progress=False, factory=dual.mongo_factory
    )
    assert again >= count
    back = await run_copy(
        dual.database_url, dual.mongo, to="postgres", progress=False, factory=dual.mongo_factory
    )
    assert back == again
    report = await run_reconcile(dual.database_url, dual.postgres, repair=False, grace=timedelta(0))
    assert report.clean


def test_mongo_backend_without_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="VANTA_MONGODB_URL"):
        Settings.from_env({"VANTA_METADATA_BACKEND": "mongo"})


def test_metadata_copy_without_mongodb_url_says_so(tmp_path: object) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANTA_")}
    result = subprocess.run(
        [*VANTA, "metadata", "copy", "--to", "mongo"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "VANTA_MONGODB_URL is not set" in result.stderr


def test_reconcile_command_reports_agreement(dual: DualWorld) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANTA_")}
    env["VANTA_DATABASE_URL"] = dual.database_url
    result = subprocess.run(
        [*VANTA, "reconcile", "--dry-run"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "postgres metadata backend" in result.stdout
    assert "agree; nothing to do" in result.stdout


def test_postgres_backend_does_not_import_pymongo() -> None:
    code = "import sys, app.cli, app.server; print('pymongo' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
