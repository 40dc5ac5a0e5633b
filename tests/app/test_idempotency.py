"""Idempotency-Key on mutations over real HTTP and real PostgreSQL: replays, conflicts, lost replies.

Every test counts rows to prove what executed: a replay must create nothing new.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import asyncpg
import orjson
import pytest

from app.db.idempotency import purge_expired
from tests.conftest import Api, TestDatabase, make_token
from tests.world import World

DEADLINE_SECONDS = 15  # a bound on waiting for a condition, not a timing assertion

UPLOAD = """
mutation Upload($input: UploadDocumentInput!) {
  uploadDocument(input: $input) { id filename company { id } }
}
"""
RECORD = """
mutation Record($input: LedgerEntryInput!) {
  recordLedgerEntry(input: $input) { id approvalStatus }
}
"""
APPROVE = "mutation Approve($id: ID!) { approveLedgerEntry(id: $id) { id approvalStatus } }"
QUERY = "{ documentStatistics { total } }"


@pytest.fixture
def subject() -> str:
    return f"idem-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def token(world: World, subject: str) -> str:
    return make_token("accountant", [world.companies["m"]], subject=subject)


def _upload_body(world: World, filename: str) -> dict[str, Any]:
    return {
        "query": UPLOAD,
        "variables": {
            "input": {
                "companyId": str(world.companies["m"]),
                "filename": filename,
                "documentType": "receipt",
                "content": "Receipt for 4 bags of cement.\n",
            }
        },
    }


async def _post(api: Api, body: Any, token: str | None, key: str | None) -> tuple[int, bytes, Any]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if key is not None:
        headers["Idempotency-Key"] = key
    response = await api.client.post("/graphql", data=orjson.dumps(body), headers=headers)
    return response.status, await response.read(), response.headers


async def _documents_named(conn: asyncpg.Connection, filename: str) -> int:
    return await conn.fetchval("SELECT count(*) FROM documents WHERE filename = $1", filename)


async def _keys_of(conn: asyncpg.Connection, subject: str) -> int:
    return await conn.fetchval("SELECT count(*) FROM idempotency_keys WHERE subject = $1", subject)


async def _until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def _code(raw: bytes) -> str:
    return orjson.loads(raw)["errors"][0]["extensions"]["code"]  # type: ignore[no-any-return]


async def test_retry_replays_the_first_answer_byte_for_byte_and_creates_nothing(
    api: Api, world: World, token: str, conn: asyncpg.Connection
) -> None:
    filename = f"idem-{uuid.uuid4().hex[:8]}.txt"
    key = str(uuid.uuid4())
    status, first, headers = await _post(api, _upload_body(world, filename), token, key)
    assert status == 200, first
    assert "errors" not in orjson.loads(first)
    assert "Idempotent-Replayed" not in headers
    assert await _documents_named(conn, filename) == 1

    for _ in range(2):
        status, again, headers = await _post(api, _upload_body(world, filename), token, key)
        assert (status, again) == (200, first)
        assert headers["Idempotent-Replayed"] == "true"
    assert await _documents_named(conn, filename) == 1


async def test_another_request_under_the_same_key_is_a_conflict_and_changes_nothing(
    api: Api, world: World, token: str, conn: asyncpg.Connection
) -> None:
    key = str(uuid.uuid4())
    first_name, other_name = (f"idem-{uuid.uuid4().hex[:8]}.txt" for _ in range(2))
    assert (await _post(api, _upload_body(world, first_name), token, key))[0] == 200

    status, raw, headers = await _post(api, _upload_body(world, other_name), token, key)
    assert status == 422, raw
    assert _code(raw) == "CONFLICT"
    assert "Idempotent-Replayed" not in headers
    assert await _documents_named(conn, other_name) == 0
    # Another operation name for the same text is another request too.
    renamed = {**_upload_body(world, first_name), "operationName": "Upload"}
    assert (await _post(api, renamed, token, key))[0] == 422
    assert await _documents_named(conn, first_name) == 1


async def test_concurrent_duplicates_execute_once_and_both_get_the_answer(
    api: Api, world: World, token: str, conn: asyncpg.Connection, test_db: TestDatabase
) -> None:
    m = world.companies["m"]
    record = {
        "query": RECORD,
        "variables": {
            "input": {
                "companyId": str(m),
                "entryType": "expense",
                "amount": "10.00",
                "transactionDate": "2025-04-01",
            }
        },
    }
    status, raw, _ = await _post(api, record, token, None)
    assert status == 200, raw
    entry = orjson.loads(raw)["data"]["recordLedgerEntry"]["id"]
    approve = {"query": APPROVE, "variables": {"id": entry}}
    key = str(uuid.uuid4())
    database = test_db.url.rsplit("/", 1)[1].split("?")[0]

    # Hold the entry's row lock so the first request blocks inside its transaction; the
    # second then arrives while the first is in flight.
    async with conn.transaction():
        await conn.execute("SELECT 1 FROM ledger_entries WHERE id = $1 FOR UPDATE", int(entry))
        requests = [asyncio.create_task(_post(api, approve, token, key)) for _ in range(2)]

        async def both_waiting() -> bool:
            waiting = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = $1 AND wait_event_type = 'Lock'",
                database,
            )
            return int(waiting) >= 2

        await _until(both_waiting, "both requests to wait inside PostgreSQL")
    (s1, b1, h1), (s2, b2, h2) = await asyncio.gather(*requests)
    assert (s1, s2) == (200, 200)
    assert b1 == b2, (b1, b2)  # without the key the second would be CONFLICT (approved already)
    assert orjson.loads(b1)["data"]["approveLedgerEntry"]["approvalStatus"] == "approved"
    assert sorted(h.get("Idempotent-Replayed", "") for h in (h1, h2)) == ["", "true"]


async def test_reply_lost_after_commit_then_retry_gets_the_recorded_answer(
    api: Api, world: World, token: str, subject: str, conn: asyncpg.Connection
) -> None:
    filename = f"idem-lost-{uuid.uuid4().hex[:8]}.txt"
    key = str(uuid.uuid4())
    payload = orjson.dumps(_upload_body(world, filename))
    server = api.client.server
    _reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {token}\r\nIdempotency-Key: {key}\r\n".encode()
        + f"Content-Length: {len(payload)}\r\n\r\n".encode()
        + payload
    )
    await writer.drain()

    async def committed() -> bool:
        status = await conn.fetchval(
            "SELECT status FROM idempotency_keys WHERE subject = $1 AND idempotency_key = $2",
            subject,
            key,
        )
        return status is not None

    await _until(committed, "the mutation to commit")
    writer.transport.abort()  # the reply is lost: the client never reads it
    assert await _documents_named(conn, filename) == 1

    status, raw, headers = await _post(api, _upload_body(world, filename), token, key)
    assert status == 200, raw
    assert headers["Idempotent-Replayed"] == "true"
    uploaded = orjson.loads(raw)["data"]["uploadDocument"]
    assert uploaded["filename"] == filename
    row = await conn.fetchval("SELECT id FROM documents WHERE filename = $1", filename)
    assert uploaded["id"] == str(row)
    assert await _documents_named(conn, filename) == 1


async def test_an_expired_key_is_ignored_and_purged(
    api: Api, world: World, token: str, subject: str, conn: asyncpg.Connection
) -> None:
    key = str(uuid.uuid4())
    await conn.execute(
        "INSERT INTO idempotency_keys (subject, idempotency_key, request_digest, status,"
        " response, created_at) VALUES ($1, $2, $3, 200, $4, now() - interval '25 hours')",
        subject,
        key,
        b"\x00" * 32,
        b'{"data":{"stale":true}}',
    )
    filename = f"idem-old-{uuid.uuid4().hex[:8]}.txt"
    status, raw, headers = await _post(api, _upload_body(world, filename), token, key)
    assert status == 200, raw  # neither 422 (another digest) nor the stale answer
    assert "Idempotent-Replayed" not in headers
    assert orjson.loads(raw)["data"]["uploadDocument"]["filename"] == filename
    assert await _documents_named(conn, filename) == 1
    assert (await _post(api, _upload_body(world, filename), token, key))[1] == raw

    old_key = str(uuid.uuid4())
    await conn.execute(
        "INSERT INTO idempotency_keys (subject, idempotency_key, request_digest, created_at)"
        " VALUES ($1, $2, $3, now() - interval '24 hours 1 second')",
        subject,
        old_key,
        b"\x00" * 32,
    )
    assert await purge_expired(conn) >= 1
    assert await _keys_of(conn, subject) == 1  # the live one stays


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "tab\there", "caf\u00e9"], ids=repr)
async def test_a_malformed_key_is_bad_request_and_executes_nothing(
    api: Api, world: World, token: str, subject: str, conn: asyncpg.Connection, key: str
) -> None:
    filename = f"idem-bad-{uuid.uuid4().hex[:8]}.txt"
    payload = orjson.dumps(_upload_body(world, filename))
    server = api.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:  # raw bytes: an HTTP client library would refuse some of these headers itself
        writer.write(
            b"POST /graphql HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\n"
            + f"Authorization: Bearer {token}\r\n".encode()
            + b"Idempotency-Key: "
            + key.encode()
            + f"\r\nContent-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        response = await reader.read()
    finally:
        writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), response
    assert _code(body) == "BAD_REQUEST"
    assert await _documents_named(conn, filename) == 0
    assert await _keys_of(conn, subject) == 0


async def test_keys_are_scoped_to_the_token_subject(
    api: Api, world: World, token: str, conn: asyncpg.Connection
) -> None:
    other = make_token("accountant", [world.companies["m"]], subject=f"idem-{uuid.uuid4().hex}")
    key = str(uuid.uuid4())
    mine, theirs = (f"idem-scope-{uuid.uuid4().hex[:8]}.txt" for _ in range(2))
    assert (await _post(api, _upload_body(world, mine), token, key))[0] == 200
    status, raw, headers = await _post(api, _upload_body(world, theirs), other, key)
    assert status == 200, raw
    assert "Idempotent-Replayed" not in headers
    assert await _documents_named(conn, mine) == 1
    assert await _documents_named(conn, theirs) == 1
    status, raw, headers = await _post(api, _upload_body(world, mine), token, key)
    assert headers["Idempotent-Replayed"] == "true"
    assert orjson.loads(raw)["data"]["uploadDocument"]["filename"] == mine


async def test_a_failed_mutation_records_nothing_and_its_retry_executes(
    api: Api, world: World, token: str, subject: str, conn: asyncpg.Connection
) -> None:
    key = str(uuid.uuid4())
    body = _upload_body(world, f"idem-fail-{uuid.uuid4().hex[:8]}.txt")
    body["variables"]["input"]["companyId"] = str(world.companies["a"])  # not the token's
    for _ in range(2):
        status, raw, headers = await _post(api, body, token, key)
        assert status == 200
        assert "errors" in orjson.loads(raw)
        assert "Idempotent-Replayed" not in headers
    assert await _keys_of(conn, subject) == 0
    # Nothing was recorded, so the key is free for the corrected request.
    body["variables"]["input"]["companyId"] = str(world.companies["m"])
    first = await _post(api, body, token, key)
    assert first[0] == 200 and "errors" not in orjson.loads(first[1]), first[1]
    status, raw, headers = await _post(api, body, token, key)
    assert (raw, headers["Idempotent-Replayed"]) == (first[1], "true")


async def test_queries_ignore_the_key(
    api: Api, world: World, token: str, subject: str, conn: asyncpg.Connection
) -> None:
    key = str(uuid.uuid4())
    for _ in range(2):
        status, raw, headers = await _post(api, {"query": QUERY}, token, key)
        assert status == 200, raw
        assert "Idempotent-Replayed" not in headers
    assert await _keys_of(conn, subject) == 0
    # The key is not used up by the queries: a mutation under it executes and is recorded.
    upload = _upload_body(world, f"idem-after-query-{uuid.uuid4().hex[:8]}.txt")
    assert (await _post(api, upload, token, key))[0] == 200
    assert (await _post(api, upload, token, key))[2]["Idempotent-Replayed"] == "true"


async def test_a_keyed_mutation_in_a_batch_is_refused_and_queries_beside_it_run(
    api: Api, world: World, token: str, subject: str, conn: asyncpg.Connection
) -> None:
    filename = f"idem-batch-{uuid.uuid4().hex[:8]}.txt"
    key = str(uuid.uuid4())
    status, raw, _ = await _post(api, [{"query": QUERY}, _upload_body(world, filename)], token, key)
    assert status == 200, raw
    answers = orjson.loads(raw)
    assert "data" in answers[0] and "errors" not in answers[0]
    assert answers[1]["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert await _documents_named(conn, filename) == 0
    assert await _keys_of(conn, subject) == 0
    # Without the key the same batch runs its mutation.
    status, raw, _ = await _post(api, [_upload_body(world, filename)], token, None)
    assert status == 200 and "errors" not in orjson.loads(raw)[0], raw
    assert await _documents_named(conn, filename) == 1
