"""The queue's promises: a poison document ends ``failed`` with its reason after the retry
limit, a crashed worker's claim expires and the document is processed once, two workers
never take the same job, and reprocessing is for the document's own writers only."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import asyncpg

from app.jobs.queue import claim_next, finish_claim
from app.nlp.task import analyze
from tests.app.processing.conftest import (
    UPLOAD,
    document_state,
    multipart_upload,
    wait_processed,
    wait_until,
)
from tests.conftest import Api, make_token
from tests.world import World


def _writer(world: World, key: str = "m") -> str:
    return make_token("accountant", [world.companies[key]], subject=f"acct-{key}")


async def _upload_text(api: Api, world: World, filename: str, content: str) -> int:
    data = await api.data(
        UPLOAD,
        {
            "input": {
                "companyId": str(world.companies["m"]),
                "filename": filename,
                "documentType": "receipt",
                "content": content,
            }
        },
        _writer(world),
    )
    return int(data["uploadDocument"]["id"])


async def test_poison_document_fails_after_the_retry_limit_with_its_reason(
    papi: Api, world: World, conn: asyncpg.Connection, run_worker: Any
) -> None:
    form = multipart_upload(
        {
            "companyId": str(world.companies["m"]),
            "filename": "poison.pdf",
            "documentType": "invoice",
        },
        b"%PDF-1.7\nthis is not a PDF at all",
        "poison.pdf",
        "application/pdf",
    )
    headers = {"Authorization": f"Bearer {_writer(world)}", "Apollo-Require-Preflight": "1"}
    response = await papi.client.post("/graphql", data=form, headers=headers)
    doc_id = int((await response.json())["data"]["uploadDocument"]["id"])
    async with run_worker():
        state = await wait_processed(conn, doc_id, status="failed")
    assert state["state"] == "failed" and state["attempts"] == 3
    assert state["processed_at"] is not None
    assert state["last_error"]
    read = await papi.data(
        "query($id: ID!) { document(id: $id) { processingStatus processing { status attempts lastError } } }",
        {"id": str(doc_id)},
        _writer(world),
    )
    processing = read["document"]["processing"]
    assert read["document"]["processingStatus"] == "failed"
    assert processing["status"] == "failed" and processing["attempts"] == 3
    assert processing["lastError"] == state["last_error"]


async def test_expired_claim_is_taken_over_and_the_document_processed_once(
    papi: Api, world: World, conn: asyncpg.Connection, run_worker: Any
) -> None:
    doc_id = await _upload_text(papi, world, "crash.txt", "Receipt No INV-5001 Total KES 10.00")
    # A worker claims the job and dies: it never renews its one-second lease.
    dead = None
    while dead is None or dead.document_id != doc_id:
        if dead is not None:  # another test's leftover job: finish it out of the way
            await finish_claim(conn, dead, state="done")
        dead = await claim_next(conn, "dead-worker", 1.0)
    async with run_worker(name="survivor"):
        state = await wait_processed(conn, doc_id)
    assert state["attempts"] == 2 and state["locked_by"] == "survivor"
    # The dead worker's claim can no longer end the job: its token owns nothing now.
    assert await finish_claim(conn, dead, state="failed", error="late") is None
    assert (await document_state(conn, doc_id))["processing_status"] == "processed"
    assert (
        await conn.fetchval("SELECT count(*) FROM document_jobs WHERE document_id = $1", doc_id)
        == 1
    )


async def test_two_workers_never_process_the_same_job(
    papi: Api, world: World, conn: asyncpg.Connection, run_worker: Any
) -> None:
    ids = [
        await _upload_text(papi, world, f"pair-{i}.txt", f"Receipt {i} Total KES {i}.00")
        for i in range(12)
    ]
    seen: list[str] = []
    lock = threading.Lock()

    def counting(request: Any) -> Any:
        with lock:
            seen.append(request.path)
        return analyze(request)

    async with (
        run_worker(name="one", analyze_fn=counting),
        run_worker(name="two", analyze_fn=counting),
    ):
        for doc_id in ids:
            await wait_processed(conn, doc_id)
    rows = await conn.fetch(
        "SELECT d.id, d.content_sha256, j.attempts, j.locked_by FROM documents d "
        "JOIN document_jobs j ON j.document_id = d.id WHERE d.id = ANY($1::bigint[])",
        ids,
    )
    assert all(row["attempts"] == 1 for row in rows)
    paths = [p for p in seen if any(p.endswith(row["content_sha256"]) for row in rows)]
    assert len(paths) == len(ids) == len(set(paths))


async def test_concurrent_claims_are_disjoint(
    papi: Api, world: World, test_db: Any, conn: asyncpg.Connection
) -> None:
    ids = {
        await _upload_text(papi, world, f"race-{i}.txt", f"Race {i} Total KES {i}.00")
        for i in range(10)
    }
    conns = [await asyncpg.connect(test_db.url) for _ in range(3)]
    try:

        async def drain(c: asyncpg.Connection, name: str) -> list[int]:
            got = []
            while (claim := await claim_next(c, name, 30.0)) is not None:
                got.append(claim.document_id)
                await finish_claim(c, claim, state="done")
            return got

        results = await asyncio.gather(*(drain(c, f"w{i}") for i, c in enumerate(conns)))
    finally:
        for c in conns:
            await c.close()
    claimed = [doc for result in results for doc in result]
    assert len(claimed) == len(set(claimed))
    assert ids <= set(claimed)


async def test_reprocess_is_for_the_documents_own_writers(
    papi: Api, world: World, conn: asyncpg.Connection, run_worker: Any
) -> None:
    doc_id = await _upload_text(papi, world, "again.txt", "Receipt INV-7001 Total KES 5.00")
    async with run_worker():
        await wait_processed(conn, doc_id)
    mutation = "mutation($id: ID!) { reprocessDocument(id: $id) { id processingStatus } }"
    for token in (
        _writer(world, "a"),  # another tenant
        make_token("viewer", [world.companies["m"]], subject="viewer-m"),  # reads only
    ):
        _, body, _ = await papi.post(mutation, {"id": str(doc_id)}, token)
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert (await document_state(conn, doc_id))["processing_status"] == "processed"
    _, body, _ = await papi.post(mutation, {"id": "x"}, _writer(world))
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    data = await papi.data(mutation, {"id": str(doc_id)}, _writer(world))
    assert data["reprocessDocument"]["processingStatus"] == "pending"
    async with run_worker():
        await wait_until(
            lambda: conn.fetchval(
                "SELECT count(*) = 2 AND bool_and(state = 'done') FROM document_jobs "
                "WHERE document_id = $1",
                doc_id,
            ),
            "the second job to finish",
        )
    assert (await document_state(conn, doc_id))["processing_status"] == "processed"
