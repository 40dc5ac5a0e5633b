"""Mutations keep PostgreSQL and the metadata store consistent, also when the store fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from pymongo.errors import AutoReconnect

from app.config import Settings
from app.db import metadata as metadata_sql
from app.metadata.commands import run_reconcile
from app.metadata.reconcile import ReconcileReport
from app.resources import METADATA
from tests.conftest import Api, TestDatabase, make_token
from tests.metadata.conftest import DualWorld

UPLOAD = """
mutation Upload($input: UploadDocumentInput!) {
  uploadDocument(input: $input) { id processingStatus
    metadata { tags invoiceNumber vendorName totalAmount currency } }
}
"""
UPDATE_TAGS = "mutation($id: ID!, $tags: [String!]) { updateDocument(id: $id, input: {tags: $tags}) { id metadata { tags } } }"
DELETE = "mutation Delete($id: ID!) { deleteDocument(id: $id) }"
READ = "query($id: ID!) { document(id: $id) { id processingStatus metadata { tags vendorName } } }"
TEXT = "Invoice No: INV-9001\nFrom: Simba Cement\nTotal KES 4,200.00"


def _input(company: int, filename: str) -> dict[str, Any]:
    return {
        "input": {
            "companyId": str(company),
            "filename": filename,
            "documentType": "invoice",
            "content": TEXT,
            "tags": ["Urgent"],
        }
    }


async def _reconcile(
    url: str, settings: Settings, dual: DualWorld | None = None
) -> ReconcileReport:
    factory = dual.mongo_factory if dual else None
    return await run_reconcile(url, settings, repair=False, grace=timedelta(0), factory=factory)


@pytest.fixture
async def dual_conn(dual: DualWorld) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(dual.database_url)
    try:
        yield conn
    finally:
        await conn.close()


def _m_token(dual: DualWorld) -> str:
    return make_token("accountant", [dual.world.companies["m"]], subject="acct-m")


def _collection_class(api: Api) -> type:
    return type(api.client.app[METADATA].collection)


async def test_mongo_upload_update_delete_keep_the_metadata_in_mongodb(
    dual: DualWorld, mongo_dual_api: Api, dual_conn: asyncpg.Connection
) -> None:
    token = _m_token(dual)
    data = await mongo_dual_api.data(UPLOAD, _input(dual.world.companies["m"], "mg.txt"), token)
    document = data["uploadDocument"]
    doc_id = int(document["id"])
    assert document["processingStatus"] == "pending"  # until a worker has processed it
    assert document["metadata"] == {
        "tags": ["urgent"],
        "invoiceNumber": "INV-9001",
        "vendorName": "Simba Cement",
        "totalAmount": "4200.00",
        "currency": "KES",
    }
    # The metadata lives in MongoDB, not in the PostgreSQL table.
    assert (
        await dual_conn.fetchval(
            "SELECT count(*) FROM document_metadata WHERE document_id = $1", doc_id
        )
        == 0
    )
    collection = mongo_dual_api.client.app[METADATA].collection
    [stored] = await collection.find({"document_id": doc_id}, {"_id": 0}).to_list(None)
    assert stored["company_id"] == dual.world.companies["m"]
    assert stored["text"] == TEXT

    updated = await mongo_dual_api.data(UPDATE_TAGS, {"id": str(doc_id), "tags": ["q3"]}, token)
    assert updated["updateDocument"]["metadata"] == {"tags": ["q3"]}
    assert (await _reconcile(dual.database_url, dual.mongo, dual)).clean

    assert await mongo_dual_api.data(DELETE, {"id": str(doc_id)}, token) == {"deleteDocument": True}
    assert await collection.count_documents({"document_id": doc_id}) == 0
    assert await dual_conn.fetchval("SELECT count(*) FROM documents WHERE id = $1", doc_id) == 0
    assert (await _reconcile(dual.database_url, dual.mongo, dual)).clean


async def test_mongo_failing_during_upload_leaves_neither_row_nor_metadata(
    dual: DualWorld,
    mongo_dual_api: Api,
    dual_conn: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[Any] = []

    async def down(self: Any, *args: Any, **kwargs: Any) -> None:
        calls.append(args)
        raise AutoReconnect("connection closed mid-write")

    monkeypatch.setattr(_collection_class(mongo_dual_api), "replace_one", down)
    status, body, _ = await mongo_dual_api.post(
        UPLOAD, _input(dual.world.companies["m"], "mongo-down.txt"), _m_token(dual)
    )
    assert len(calls) == 1  # the row existed (pending) when the metadata write failed
    assert status == 200 and body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["SERVICE_UNAVAILABLE"]
    assert (
        await dual_conn.fetchval("SELECT count(*) FROM documents WHERE filename = 'mongo-down.txt'")
        == 0
    )
    assert (await _reconcile(dual.database_url, dual.mongo, dual)).clean


async def test_upload_whose_metadata_and_cleanup_both_fail_leaves_nothing(
    dual: DualWorld,
    mongo_dual_api: Api,
    dual_conn: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The metadata is written while the row's transaction is open: when it fails, the row
    (and its processing job) roll back, and the failing clean-up has nothing to repair."""

    async def down(self: Any, *args: Any, **kwargs: Any) -> None:
        raise AutoReconnect("connection closed mid-write")

    async def mongo_delete_gone(self: Any, *args: Any, **kwargs: Any) -> None:
        raise AutoReconnect("MongoDB went away for the clean-up too")

    monkeypatch.setattr(_collection_class(mongo_dual_api), "replace_one", down)
    monkeypatch.setattr(_collection_class(mongo_dual_api), "delete_many", mongo_delete_gone)
    status, body, _ = await mongo_dual_api.post(
        UPLOAD, _input(dual.world.companies["m"], "double-fault.txt"), _m_token(dual)
    )
    assert status == 200
    assert [e["extensions"]["code"] for e in body["errors"]] == ["SERVICE_UNAVAILABLE"]
    monkeypatch.undo()
    assert (
        await dual_conn.fetchval(
            "SELECT count(*) FROM documents WHERE filename = 'double-fault.txt'"
        )
        == 0
    )
    assert (
        await dual_conn.fetchval(
            "SELECT count(*) FROM document_jobs j JOIN documents d ON d.id = j.document_id "
            "WHERE d.filename = 'double-fault.txt'"
        )
        == 0
    )
    assert (await _reconcile(dual.database_url, dual.mongo, dual)).clean


async def test_mongo_failing_during_delete_keeps_row_and_metadata(
    dual: DualWorld,
    mongo_dual_api: Api,
    dual_conn: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = _m_token(dual)
    data = await mongo_dual_api.data(UPLOAD, _input(dual.world.companies["m"], "keep.txt"), token)
    doc_id = data["uploadDocument"]["id"]

    async def down(self: Any, *args: Any, **kwargs: Any) -> None:
        raise AutoReconnect("connection closed mid-delete")

    monkeypatch.setattr(_collection_class(mongo_dual_api), "delete_many", down)
    status, body, _ = await mongo_dual_api.post(DELETE, {"id": doc_id}, token)
    assert status == 200
    assert [e["extensions"]["code"] for e in body["errors"]] == ["SERVICE_UNAVAILABLE"]
    monkeypatch.undo()
    still = await mongo_dual_api.data(READ, {"id": doc_id}, token)
    assert still["document"]["metadata"]["vendorName"] == "Simba Cement"
    assert (await _reconcile(dual.database_url, dual.mongo, dual)).clean
    assert await mongo_dual_api.data(DELETE, {"id": doc_id}, token) == {"deleteDocument": True}


async def test_postgres_metadata_failing_during_upload_leaves_nothing(
    api: Api,
    test_db: TestDatabase,
    settings: Settings,
    world: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionResetError("metadata table unreachable")

    monkeypatch.setattr(metadata_sql, "upsert_metadata", down)
    token = make_token("accountant", [world.companies["m"]], subject="acct-m")
    status, body, _ = await api.post(UPLOAD, _input(world.companies["m"], "pg-down.txt"), token)
    assert status == 200
    assert [e["extensions"]["code"] for e in body["errors"]] == ["SERVICE_UNAVAILABLE"]
    monkeypatch.undo()
    conn = await asyncpg.connect(test_db.url)
    try:
        assert (
            await conn.fetchval("SELECT count(*) FROM documents WHERE filename = 'pg-down.txt'")
            == 0
        )
    finally:
        await conn.close()
    assert (await _reconcile(test_db.url, replace(settings, database_url=test_db.url))).clean


async def test_reconcile_repairs_metadata_without_rows_and_rows_without_metadata(
    dual: DualWorld, mongo_dual_api: Api, dual_conn: asyncpg.Connection
) -> None:
    token = _m_token(dual)
    first = await mongo_dual_api.data(UPLOAD, _input(dual.world.companies["m"], "r1.txt"), token)
    second = await mongo_dual_api.data(UPLOAD, _input(dual.world.companies["m"], "r2.txt"), token)
    row_gone = int(first["uploadDocument"]["id"])
    metadata_gone = int(second["uploadDocument"]["id"])
    await dual_conn.execute("DELETE FROM documents WHERE id = $1", row_gone)
    # As a worker leaves it: processed, its job done (no worker runs in this test).
    await dual_conn.execute(
        "UPDATE document_jobs SET state = 'done' WHERE document_id = $1", metadata_gone
    )
    await dual_conn.execute(
        "UPDATE documents SET processing_status = 'processed' WHERE id = $1", metadata_gone
    )
    collection = mongo_dual_api.client.app[METADATA].collection
    await collection.delete_many({"document_id": metadata_gone})

    found = await _reconcile(dual.database_url, dual.mongo, dual)
    assert (found.orphan_metadata, found.lost_metadata) == ([row_gone], [metadata_gone])
    assert "would be deleted" in "\n".join(found.lines())
    await run_reconcile(
        dual.database_url, dual.mongo, repair=True, grace=timedelta(0), factory=dual.mongo_factory
    )
    assert await collection.count_documents({"document_id": row_gone}) == 0
    status = await dual_conn.fetchval(
        "SELECT processing_status FROM documents WHERE id = $1", metadata_gone
    )
    assert status == "failed"
    assert (await _reconcile(dual.database_url, dual.mongo, dual)).clean
    await dual_conn.execute("DELETE FROM documents WHERE id = $1", metadata_gone)
