"""Redis stopped mid-test and restarted: requests keep working, caching and APQ resume by themselves.

Each test owns a private ``redis-server`` (no persistence) on a free port, kills it and
starts it again on the same port; the shared test Redis is never touched.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from app.codings import unpack
from app.config import Settings
from tests.conftest import Api, make_token, running, start_api
from tests.services import RedisProcess
from tests.world import World

READY_TIMEOUT_SECONDS = 20
POLL_SECONDS = 0.02

DOCS = (
    "query CompanyDocuments($c: ID!) { documents(first: 50, filter: {companyId: $c}) "
    "{ nodes { id filename } totalCount } }"
)
UPLOAD = """
mutation Upload($input: UploadDocumentInput!) {
  uploadDocument(input: $input) { id filename company { id } }
}
"""


class PrivateRedis(RedisProcess):
    """The shared private ``redis-server`` helper, plus a way to refuse the app while up."""

    @asynccontextmanager
    async def refusing(self) -> AsyncIterator[redis.Redis]:
        """Redis up, its data kept, but refusing the app: a password is now required and
        every other connection is dropped. Yields an admin connection that stays usable.
        """
        admin = redis.Redis.from_url(self.url, socket_timeout=5, retry=Retry(NoBackoff(), 0))
        try:
            await admin.config_set("requirepass", "outage-test-password")
            await admin.client_kill_filter(_type="normal", skipme=True)
            yield admin
        finally:
            await admin.config_set("requirepass", "")
            await admin.aclose()

    async def kill(self) -> None:
        """SIGKILL: a crash, not a clean shutdown."""
        await self.stop()

    async def close(self) -> None:
        await self.stop()


@pytest.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        print("\n[tests] skipping Redis outage tests: no redis-server on PATH")
        pytest.skip("no redis-server binary on PATH")
    server = PrivateRedis(tmp_path)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
def outage_settings(settings: Settings, world: World, private_redis: PrivateRedis) -> Settings:
    return replace(
        settings,
        redis_url=private_redis.url,
        redis_prefix=f"vanta-test-{uuid.uuid4().hex}:",
        cache_enabled=True,
        redis_retry_seconds=1e-6,  # retry Redis on the very next request
    )


@pytest.fixture
async def outage_api(outage_settings: Settings) -> AsyncIterator[Api]:
    async for api in start_api(outage_settings):
        yield api


async def _docs(api: Api, token: str, company: int) -> tuple[str, dict[str, Any]]:
    """(X-Cache, data) of the documents query; it must succeed."""
    status, body, headers = await api.post(DOCS, {"c": str(company)}, token)
    assert status == 200, body
    assert "errors" not in body, body
    return headers["X-Cache"], body["data"]


async def test_redis_outage_bypasses_the_cache_and_caching_resumes_by_itself(
    outage_api: Api, private_redis: PrivateRedis, world: World
) -> None:
    m = world.companies["m"]
    token = make_token("accountant", [m], subject="acct-m-outage")

    assert (await _docs(outage_api, token, m))[0] == "MISS"
    status, before = await _docs(outage_api, token, m)
    assert status == "HIT"

    await private_redis.kill()
    assert await _docs(outage_api, token, m) == ("BYPASS", before)

    filename = f"outage-{uuid.uuid4().hex[:8]}.txt"
    upload = {
        "companyId": str(m),
        "filename": filename,
        "documentType": "invoice",
        "content": "Invoice No: INV-OUT-1\nTotal KES 10.00\n",
    }
    status_code, body, headers = await outage_api.post(UPLOAD, {"input": upload}, token)
    assert status_code == 200, body
    assert "errors" not in body, body
    uploaded = body["data"]["uploadDocument"]
    assert uploaded["filename"] == filename
    assert uploaded["company"] == {"id": str(m)}
    assert headers["X-Cache"] == "BYPASS"

    def with_upload(data: dict[str, Any]) -> bool:
        ids = [node["id"] for node in data["documents"]["nodes"]]
        return uploaded["id"] in ids and data["documents"]["totalCount"] == len(ids)

    status, during = await _docs(outage_api, token, m)
    assert status == "BYPASS"
    assert with_upload(during)
    assert during["documents"]["totalCount"] == before["documents"]["totalCount"] + 1

    await private_redis.start()
    status, after = await _docs(outage_api, token, m)
    assert status == "MISS"
    assert after == during and with_upload(after)
    assert await _docs(outage_api, token, m) == ("HIT", after)


async def test_invalidation_missed_during_an_outage_is_replayed_before_any_hit(
    outage_api: Api, outage_settings: Settings, private_redis: PrivateRedis, world: World
) -> None:
    m = world.companies["m"]
    token = make_token("accountant", [m], subject="acct-m-refused")
    assert (await _docs(outage_api, token, m))[0] == "MISS"
    status, before = await _docs(outage_api, token, m)
    assert status == "HIT"

    async with private_redis.refusing() as admin:
        upload = {
            "companyId": str(m),
            "filename": f"refused-{uuid.uuid4().hex[:8]}.txt",
            "documentType": "receipt",
            "content": "Receipt for 3 bags of cement.\n",
        }
        data = await outage_api.data(UPLOAD, {"input": upload}, token)
        uploaded_id = data["uploadDocument"]["id"]
        status, during = await _docs(outage_api, token, m)
        assert status == "BYPASS"
        assert during["documents"]["totalCount"] == before["documents"]["totalCount"] + 1
        # The mutation could not reach Redis: the entry from before it is still there.
        entries = [
            key async for key in admin.scan_iter(match=f"{outage_settings.redis_prefix}cache:r:*")
        ]
        assert len(entries) == 1
        stale = await admin.get(entries[0])
        assert stale is not None
        stale_ids = [
            node["id"] for node in orjson.loads(bytes(unpack(stale)))["data"]["documents"]["nodes"]
        ]
        assert uploaded_id not in stale_ids

    # Back: the pending invalidation runs before any lookup, so the stale entry is never served.
    status, after = await _docs(outage_api, token, m)
    assert status == "MISS"
    assert after == during
    assert uploaded_id in [node["id"] for node in after["documents"]["nodes"]]
    assert await _docs(outage_api, token, m) == ("HIT", after)


async def test_persisted_queries_during_a_redis_outage_fall_back_to_the_full_query(
    outage_settings: Settings, private_redis: PrivateRedis, world: World
) -> None:
    a = world.companies["a"]
    token = make_token("viewer", [a], subject="viewer-a-outage")
    digest = hashlib.sha256(DOCS.encode()).hexdigest()
    variables = {"c": str(a)}
    expected_ids = [str(i) for i in world.documents["a"]]
    not_found = {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }

    async def send(api: Api, with_query: bool) -> tuple[int, dict[str, Any], str | None]:
        body: dict[str, Any] = {
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
            "variables": variables,
        }
        if with_query:
            body["query"] = DOCS
        response = await api.client.post(
            "/graphql", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        answer = await response.json()
        for error in answer.get("errors", []):  # every error carries it; compare the rest
            assert error["extensions"].pop("requestId") == response.headers["X-Request-Id"]
        return response.status, answer, response.headers.get("X-Cache")

    def ids(body: dict[str, Any]) -> list[str]:
        return [node["id"] for node in body["data"]["documents"]["nodes"]]

    async with running(outage_settings) as first, running(outage_settings) as second:
        status, body, _ = await send(first, with_query=True)
        assert status == 200 and ids(body) == expected_ids
        # Shared through Redis: the second instance has never seen the query itself.
        status, body, _ = await send(second, with_query=False)
        assert status == 200 and ids(body) == expected_ids

        await private_redis.kill()
        # A third instance knows the hash from nowhere but Redis, which is down.
        async with running(outage_settings) as third:
            assert (await send(third, with_query=False))[:2] == (200, not_found)
            status, body, cache = await send(third, with_query=True)
            assert status == 200, body
            assert ids(body) == expected_ids
            assert cache == "BYPASS"
            # What an instance registered itself it still serves while Redis is away.
            status, body, _ = await send(third, with_query=False)
            assert status == 200 and ids(body) == expected_ids

        # Restarted empty: an instance that only knew the hash from Redis gets NOT_FOUND,
        # the client's usual retry registers it again, and it is shared once more.
        await private_redis.start()
        async with running(outage_settings) as fourth, running(outage_settings) as fifth:
            assert (await send(fourth, with_query=False))[:2] == (200, not_found)
            assert (await send(fourth, with_query=True))[0] == 200
            status, body, _ = await send(fifth, with_query=False)
            assert status == 200 and ids(body) == expected_ids
