"""Redis frozen (SIGSTOP) under two instances: an invalidation one of them could not deliver
reaches Redis as soon as it answers again, without waiting for that instance's next request.

Each test owns a private ``redis-server``; the shared test Redis is never touched.
"""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis

from app.config import Settings
from app.resources import RESPONSE_CACHE
from tests.conftest import Api, make_token, running
from tests.services import RedisProcess
from tests.world import World

DEADLINE_SECONDS = 15  # a bound on waiting for a condition, not a timing assertion
POLL_SECONDS = 0.02

DOCS = (
    "query FrozenDocuments($c: ID!) { documents(first: 50, filter: {companyId: $c}) "
    "{ nodes { id filename } totalCount } }"
)
UPLOAD = """
mutation Upload($input: UploadDocumentInput!) {
  uploadDocument(input: $input) { id }
}
"""


@pytest.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[RedisProcess]:
    if shutil.which("redis-server") is None:
        print("\n[tests] skipping Redis freeze tests: no redis-server on PATH")
        pytest.skip("no redis-server binary on PATH")
    server = RedisProcess(tmp_path)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def freeze_settings(settings: Settings, world: World, private_redis: RedisProcess) -> Settings:
    return replace(
        settings,
        redis_url=private_redis.url,
        redis_prefix=f"vanta-test-{uuid.uuid4().hex}:",
        cache_enabled=True,
        # Long enough that nothing in the test waits it out: recovery must not depend on it.
        redis_retry_seconds=60.0,
    )


async def _docs(api: Api, token: str, company: int) -> tuple[str, dict[str, Any]]:
    status, body, headers = await api.post(DOCS, {"c": str(company)}, token)
    assert status == 200, body
    assert "errors" not in body, body
    return headers["X-Cache"], body["data"]


async def _until(condition: Any, what: str) -> None:
    """Wait for ``await condition()`` to be true, polling, failing after the deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(POLL_SECONDS)


async def test_invalidation_lost_in_a_freeze_reaches_other_instances_once_redis_is_back(
    freeze_settings: Settings, private_redis: RedisProcess, world: World
) -> None:
    m = world.companies["m"]
    token = make_token("accountant", [m], subject="acct-m-freeze")
    async with running(freeze_settings) as a, running(freeze_settings) as b:
        assert (await _docs(a, token, m))[0] == "MISS"
        status, before = await _docs(b, token, m)
        assert status == "HIT"  # shared through Redis

        private_redis.freeze()
        try:
            # A finds Redis frozen (its circuit opens for 60 s), then mutates: the answer
            # succeeds, its invalidation cannot be delivered.
            assert (await _docs(a, token, m)) == ("BYPASS", before)
            upload = {
                "companyId": str(m),
                "filename": f"frozen-{uuid.uuid4().hex[:8]}.txt",
                "documentType": "receipt",
                "content": "Receipt for 2 bags of cement.\n",
            }
            data = await a.data(UPLOAD, {"input": upload}, token)
            uploaded = data["uploadDocument"]["id"]
            assert a.client.app[RESPONSE_CACHE].pending > 0
        finally:
            private_redis.thaw()

        admin = redis.Redis.from_url(private_redis.url, socket_timeout=5)
        try:
            await _until(admin.ping, "Redis to answer again")
        finally:
            await admin.aclose()

        # No request reaches A from here on: B must stop serving the pre-mutation answer.
        seen: list[tuple[str, dict[str, Any]]] = []

        async def b_is_fresh() -> bool:
            seen.append(await _docs(b, token, m))
            return seen[-1][1] != before

        await _until(b_is_fresh, "B to stop serving the pre-mutation answer")
        status, after = seen[-1]
        assert status == "MISS"
        assert uploaded in [node["id"] for node in after["documents"]["nodes"]]
        assert after["documents"]["totalCount"] == before["documents"]["totalCount"] + 1
        assert a.client.app[RESPONSE_CACHE].pending == 0
        assert await _docs(b, token, m) == ("HIT", after)
