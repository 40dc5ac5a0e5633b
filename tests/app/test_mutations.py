"""Mutations on company m: what they write, who may run them, and that failures write nothing."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

import app.db.metadata as metadata_module
from tests.conftest import Api, make_token
from tests.world import World

UPLOAD = """
mutation Upload($input: UploadDocumentInput!) {
  uploadDocument(input: $input) {
    id filename documentType category status processingStatus mimeType fileSize
    company { id }
    metadata { tags invoiceNumber totalAmount currency classification }
  }
}
"""

UPDATE = """
mutation Update($id: ID!, $input: UpdateDocumentInput!) {
  updateDocument(id: $id, input: $input) {
    id filename documentType category status metadata { tags invoiceNumber }
  }
}
"""

DELETE = "mutation Delete($id: ID!) { deleteDocument(id: $id) }"

RECORD = """
mutation Record($input: LedgerEntryInput!) {
  recordLedgerEntry(input: $input) {
    id entryType amount currency approvalStatus approvedBy transactionDate company { id }
  }
}
"""

APPROVE = """
mutation Approve($id: ID!) {
  approveLedgerEntry(id: $id) { id approvalStatus approvedBy }
}
"""

CREATE_COMPANY = """
mutation Create($input: CreateCompanyInput!) {
  createCompany(input: $input) { id name registrationNumber companyType status }
}
"""

INVOICE_TEXT = (
    "Invoice No: INV-7781\nFrom: Simba Cement Ltd\n"
    "500 bags of cement for the Nyeri site, délivré.\nTotal KES 12,500.00\n"
)


def _codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


@pytest.fixture(scope="module")
def m_token(world: World) -> str:
    return make_token("accountant", [world.companies["m"]], subject="acct-m")


async def _count(conn: asyncpg.Connection, table: str, company_id: int) -> int:
    assert table in ("documents", "ledger_entries")
    return await conn.fetchval(f"SELECT count(*) FROM {table} WHERE company_id = $1", company_id)


async def _upload(api: Api, token: str, company_id: int, **fields: Any) -> dict[str, Any]:
    values = {
        "companyId": str(company_id),
        "filename": f"upload-{uuid.uuid4().hex[:8]}.txt",
        "documentType": "invoice",
        "content": INVOICE_TEXT,
    }
    values.update(fields)
    data = await api.data(UPLOAD, {"input": values}, token)
    return data["uploadDocument"]  # type: ignore[no-any-return]


async def _record(api: Api, token: str, company_id: int, **fields: Any) -> dict[str, Any]:
    values = {
        "companyId": str(company_id),
        "entryType": "expense",
        "amount": "1250.50",
        "transactionDate": "2025-04-01",
    }
    values.update(fields)
    data = await api.data(RECORD, {"input": values}, token)
    return data["recordLedgerEntry"]  # type: ignore[no-any-return]


# --- documents -------------------------------------------------------------------------------


async def test_upload_document_stores_row_and_derived_metadata(
    api: Api, world: World, m_token: str, conn: asyncpg.Connection
) -> None:
    m = world.companies["m"]
    document = await _upload(
        api, m_token, m, filename="inv-7781.txt", tags=[" Urgent ", "urgent", "Q1"]
    )
    assert document["documentType"] == "invoice"
    assert document["category"] == "financial"
    assert document["fileSize"] == len(INVOICE_TEXT.encode("utf-8"))
    assert document["fileSize"] > len(INVOICE_TEXT)  # the é counts two bytes
    assert document["company"] == {"id": str(m)}
    assert document["processingStatus"] == "pending"  # until a worker has processed it
    assert document["mimeType"] == "text/plain"
    assert document["metadata"] == {
        "tags": ["urgent", "q1"],
        "invoiceNumber": "INV-7781",
        "totalAmount": "12500.00",
        "currency": "KES",
        "classification": "invoice",
    }

    read = await api.data(
        "query($id: ID!) { document(id: $id) { id filename category "
        "metadata { tags invoiceNumber totalAmount } } }",
        {"id": document["id"]},
        m_token,
    )
    assert read["document"] == {
        "id": document["id"],
        "filename": "inv-7781.txt",
        "category": "financial",
        "metadata": {
            "tags": ["urgent", "q1"],
            "invoiceNumber": "INV-7781",
            "totalAmount": "12500.00",
        },
    }
    row = await conn.fetchrow(
        "SELECT d.uploaded_by, d.content_sha256, m.total_amount FROM documents d "
        "JOIN document_metadata m ON m.document_id = d.id WHERE d.id = $1",
        int(document["id"]),
    )
    assert row["uploaded_by"] == "acct-m"
    assert len(row["content_sha256"]) == 64
    assert row["total_amount"] == Decimal("12500.00")


@pytest.mark.parametrize(
    ("document_type", "category"),
    [
        ("contract", "legal"),
        ("license", "compliance"),
        ("proposal", "project"),
        ("other", "general"),
    ],
)
async def test_upload_derives_category_from_type(
    api: Api, world: World, m_token: str, document_type: str, category: str
) -> None:
    document = await _upload(
        api, m_token, world.companies["m"], documentType=document_type, content="Plain text."
    )
    assert (document["documentType"], document["category"]) == (document_type, category)
    assert document["metadata"]["invoiceNumber"] is None
    assert document["metadata"]["totalAmount"] is None


async def test_update_document_rederives_category_and_replaces_tags(
    api: Api, world: World, m_token: str
) -> None:
    document = await _upload(api, m_token, world.companies["m"], tags=["old", "keep"])
    data = await api.data(
        UPDATE,
        {
            "id": document["id"],
            "input": {
                "documentType": "contract",
                "status": "archived",
                "tags": ["New", "keep"],
                "filename": "renamed.txt",
            },
        },
        m_token,
    )
    assert data["updateDocument"] == {
        "id": document["id"],
        "filename": "renamed.txt",
        "documentType": "contract",
        "category": "legal",
        "status": "archived",
        "metadata": {"tags": ["new", "keep"], "invoiceNumber": "INV-7781"},
    }


async def test_update_document_rejects_unknown_type_and_changes_nothing(
    api: Api, world: World, m_token: str, conn: asyncpg.Connection
) -> None:
    document = await _upload(api, m_token, world.companies["m"])
    before = await conn.fetchrow("SELECT * FROM documents WHERE id = $1", int(document["id"]))
    status, body, _ = await api.post(
        UPDATE,
        {"id": document["id"], "input": {"documentType": "poem", "status": "archived"}},
        m_token,
    )
    assert status == 200
    assert _codes(body) == ["BAD_USER_INPUT"]
    after = await conn.fetchrow("SELECT * FROM documents WHERE id = $1", int(document["id"]))
    assert dict(after) == dict(before)


async def test_delete_document_removes_row_and_metadata(
    api: Api, world: World, m_token: str, conn: asyncpg.Connection
) -> None:
    document = await _upload(api, m_token, world.companies["m"])
    doc_id = int(document["id"])
    assert (
        await conn.fetchval("SELECT count(*) FROM document_metadata WHERE document_id = $1", doc_id)
        == 1
    )

    assert await api.data(DELETE, {"id": document["id"]}, m_token) == {"deleteDocument": True}

    assert await conn.fetchval("SELECT count(*) FROM documents WHERE id = $1", doc_id) == 0
    assert (
        await conn.fetchval("SELECT count(*) FROM document_metadata WHERE document_id = $1", doc_id)
        == 0
    )
    gone = await api.data(
        "query($id: ID!) { document(id: $id) { id } }", {"id": document["id"]}, m_token
    )
    assert gone == {"document": None}


async def test_upload_with_project_of_other_company_is_bad_input(
    api: Api, world: World, m_token: str, conn: asyncpg.Connection
) -> None:
    m = world.companies["m"]
    before = await _count(conn, "documents", m)
    status, body, _ = await api.post(
        UPLOAD,
        {
            "input": {
                "companyId": str(m),
                "filename": "x.txt",
                "documentType": "report",
                "content": "text",
                "projectId": str(world.projects["a"][0]),
            }
        },
        m_token,
    )
    assert status == 200
    assert _codes(body) == ["BAD_USER_INPUT"]
    assert await _count(conn, "documents", m) == before


# --- ledger ----------------------------------------------------------------------------------


async def test_record_and_approve_ledger_entry(
    api: Api, world: World, m_token: str, conn: asyncpg.Connection
) -> None:
    m = world.companies["m"]
    entry = await _record(api, m_token, m, amount="1250.5", projectId=str(world.projects["m"][0]))
    assert entry["amount"] == "1250.50"
    assert entry["currency"] == "KES"
    assert entry["approvalStatus"] == "pending"
    assert entry["approvedBy"] is None
    assert entry["company"] == {"id": str(m)}
    assert entry["transactionDate"] == "2025-04-01"

    approver = make_token("accountant", [m], subject="approver-7")
    approved = await api.data(APPROVE, {"id": entry["id"]}, approver)
    assert approved["approveLedgerEntry"] == {
        "id": entry["id"],
        "approvalStatus": "approved",
        "approvedBy": "approver-7",
    }
    row = await conn.fetchrow(
        "SELECT approval_status, approved_by, amount FROM ledger_entries WHERE id = $1",
        int(entry["id"]),
    )
    assert tuple(row) == ("approved", "approver-7", Decimal("1250.50"))

    status, body, _ = await api.post(APPROVE, {"id": entry["id"]}, m_token)
    assert status == 200
    assert _codes(body) == ["CONFLICT"]
    assert (
        await conn.fetchval(
            "SELECT approved_by FROM ledger_entries WHERE id = $1", int(entry["id"])
        )
        == "approver-7"
    )


@pytest.mark.parametrize("amount", ["0", "-5", "1.234", "1e20", "NaN", "Infinity", "0.001"])
async def test_record_ledger_entry_rejects_bad_amount(
    api: Api, world: World, m_token: str, conn: asyncpg.Connection, amount: str
) -> None:
    m = world.companies["m"]
    before = await _count(conn, "ledger_entries", m)
    status, body, _ = await api.post(
        RECORD,
        {
            "input": {
                "companyId": str(m),
                "entryType": "income",
                "amount": amount,
                "transactionDate": "2025-04-01",
            }
        },
        m_token,
    )
    assert status == 200
    assert _codes(body) == ["BAD_USER_INPUT"]
    assert body["data"] is None
    assert await _count(conn, "ledger_entries", m) == before


async def test_record_ledger_entry_with_project_of_other_company_is_bad_input(
    api: Api, world: World, m_token: str, conn: asyncpg.Connection
) -> None:
    m = world.companies["m"]
    before = await _count(conn, "ledger_entries", m)
    status, body, _ = await api.post(
        RECORD,
        {
            "input": {
                "companyId": str(m),
                "entryType": "income",
                "amount": "10.00",
                "transactionDate": "2025-04-01",
                "projectId": str(world.projects["a"][0]),
            }
        },
        m_token,
    )
    assert status == 200
    assert _codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["argument"] == "projectId"
    assert await _count(conn, "ledger_entries", m) == before


# --- companies -------------------------------------------------------------------------------


async def test_admin_creates_company_and_duplicate_registration_conflicts(
    api: Api, admin_token: str, conn: asyncpg.Connection
) -> None:
    registration = f"REG-NEW-{uuid.uuid4().hex[:10]}"
    values = {
        "name": "  New Venture Ltd ",
        "companyType": "SUBSIDIARY",
        "registrationNumber": registration,
    }
    data = await api.data(CREATE_COMPANY, {"input": values}, admin_token)
    company = data["createCompany"]
    assert company["name"] == "New Venture Ltd"
    assert company["registrationNumber"] == registration
    assert company["companyType"] == "SUBSIDIARY"
    assert company["status"] == "active"

    status, body, _ = await api.post(
        CREATE_COMPANY, {"input": {**values, "name": "Copycat"}}, admin_token
    )
    assert status == 200
    assert _codes(body) == ["CONFLICT"]
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM companies WHERE registration_number = $1", registration
        )
        == 1
    )


async def test_accountant_may_not_create_company(
    api: Api, m_token: str, conn: asyncpg.Connection
) -> None:
    registration = f"REG-ACCT-{uuid.uuid4().hex[:10]}"
    status, body, _ = await api.post(
        CREATE_COMPANY,
        {
            "input": {
                "name": "Sneaky",
                "companyType": "CORE_FAMILY",
                "registrationNumber": registration,
            }
        },
        m_token,
    )
    assert status == 200
    assert _codes(body) == ["FORBIDDEN"]
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM companies WHERE registration_number = $1", registration
        )
        == 0
    )


# --- cross-tenant writes ---------------------------------------------------------------------


async def test_accountant_cannot_upload_to_other_company(
    api: Api, world: World, m_token: str, conn: asyncpg.Connection
) -> None:
    a = world.companies["a"]
    before = await _count(conn, "documents", a)
    status, body, _ = await api.post(
        UPLOAD,
        {
            "input": {
                "companyId": str(a),
                "filename": "x.txt",
                "documentType": "invoice",
                "content": "x",
            }
        },
        m_token,
    )
    assert status == 200
    assert _codes(body) == ["FORBIDDEN"]
    assert await _count(conn, "documents", a) == before


async def test_accountant_cannot_update_or_delete_other_company_document(
    api: Api, world: World, m_token: str, conn: asyncpg.Connection
) -> None:
    doc_id = world.documents["a"][0]
    select = (
        "SELECT d.*, m.tags FROM documents d JOIN document_metadata m ON m.document_id = d.id "
        "WHERE d.id = $1"
    )
    before = dict(await conn.fetchrow(select, doc_id))

    status, body, _ = await api.post(
        UPDATE,
        {"id": str(doc_id), "input": {"status": "draft", "documentType": "tender", "tags": ["x"]}},
        m_token,
    )
    assert status == 200
    assert _codes(body) == ["FORBIDDEN"]

    status, body, _ = await api.post(DELETE, {"id": str(doc_id)}, m_token)
    assert status == 200
    assert _codes(body) == ["FORBIDDEN"]

    after = await conn.fetchrow(select, doc_id)
    assert after is not None
    assert dict(after) == before


async def test_missing_and_foreign_documents_get_the_same_answer(
    api: Api, world: World, m_token: str
) -> None:
    """A restricted caller cannot tell another company's document from a missing one."""
    _, foreign, _ = await api.post(DELETE, {"id": str(world.documents["b"][0])}, m_token)
    _, missing, _ = await api.post(DELETE, {"id": "999999999"}, m_token)
    assert _codes(foreign) == _codes(missing) == ["FORBIDDEN"]


async def test_accountant_cannot_approve_other_company_entry(
    api: Api, world: World, m_token: str, conn: asyncpg.Connection
) -> None:
    entry_id = world.ledger["a"][4]  # the pending one
    select = "SELECT * FROM ledger_entries WHERE id = $1"
    before = dict(await conn.fetchrow(select, entry_id))
    assert before["approval_status"] == "pending"

    status, body, _ = await api.post(APPROVE, {"id": str(entry_id)}, m_token)
    assert status == 200
    assert _codes(body) == ["FORBIDDEN"]
    assert dict(await conn.fetchrow(select, entry_id)) == before


async def test_accountant_cannot_record_entry_for_other_company(
    api: Api, world: World, m_token: str, conn: asyncpg.Connection
) -> None:
    a = world.companies["a"]
    before = await _count(conn, "ledger_entries", a)
    status, body, _ = await api.post(
        RECORD,
        {
            "input": {
                "companyId": str(a),
                "entryType": "income",
                "amount": "10.00",
                "transactionDate": "2025-04-01",
            }
        },
        m_token,
    )
    assert status == 200
    assert _codes(body) == ["FORBIDDEN"]
    assert await _count(conn, "ledger_entries", a) == before


async def test_viewer_role_is_forbidden_every_mutation(
    api: Api, world: World, m_token: str, conn: asyncpg.Connection
) -> None:
    m = world.companies["m"]
    document = await _upload(api, m_token, m)
    entry = await _record(api, m_token, m)
    viewer = make_token("viewer", [m], subject="viewer-m")
    registration = f"REG-VIEW-{uuid.uuid4().hex[:10]}"
    attempts: list[tuple[str, dict[str, Any]]] = [
        (
            UPLOAD,
            {
                "input": {
                    "companyId": str(m),
                    "filename": "v.txt",
                    "documentType": "other",
                    "content": "v",
                }
            },
        ),
        (UPDATE, {"id": document["id"], "input": {"status": "archived", "tags": ["viewer"]}}),
        (DELETE, {"id": document["id"]}),
        (
            RECORD,
            {
                "input": {
                    "companyId": str(m),
                    "entryType": "income",
                    "amount": "1.00",
                    "transactionDate": "2025-04-01",
                }
            },
        ),
        (APPROVE, {"id": entry["id"]}),
        (
            CREATE_COMPANY,
            {
                "input": {
                    "name": "Viewer Co",
                    "companyType": "CORE_FAMILY",
                    "registrationNumber": registration,
                }
            },
        ),
    ]
    documents_before = await _count(conn, "documents", m)
    entries_before = await _count(conn, "ledger_entries", m)
    for query, variables in attempts:
        status, body, _ = await api.post(query, variables, viewer)
        assert status == 200
        assert _codes(body) == ["FORBIDDEN"], (query, body)
    assert await _count(conn, "documents", m) == documents_before
    assert await _count(conn, "ledger_entries", m) == entries_before
    row = await conn.fetchrow(
        "SELECT d.status, m.tags FROM documents d JOIN document_metadata m ON m.document_id = d.id "
        "WHERE d.id = $1",
        int(document["id"]),
    )
    assert (row["status"], row["tags"]) == ("active", [])
    assert (
        await conn.fetchval(
            "SELECT approval_status FROM ledger_entries WHERE id = $1", int(entry["id"])
        )
        == "pending"
    )
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM companies WHERE registration_number = $1", registration
        )
        == 0
    )


# --- transport and atomicity -----------------------------------------------------------------


async def test_mutation_over_get_is_405_and_writes_nothing(
    api: Api, admin_token: str, conn: asyncpg.Connection
) -> None:
    registration = f"REG-GET-{uuid.uuid4().hex[:10]}"
    query = (
        'mutation { createCompany(input: {name: "Via Get", companyType: CORE_FAMILY, '
        f'registrationNumber: "{registration}"}}) {{ id }} }}'
    )
    response = await api.client.get(
        "/graphql",
        params={"query": query},
        headers={"Authorization": f"Bearer {admin_token}", "Apollo-Require-Preflight": "1"},
    )
    assert response.status == 405
    assert response.headers["Allow"] == "POST"
    body = await response.json()
    assert _codes(body) == ["METHOD_NOT_ALLOWED"]
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM companies WHERE registration_number = $1", registration
        )
        == 0
    )


async def test_failed_metadata_write_leaves_no_document_row(
    api: Api,
    world: World,
    m_token: str,
    conn: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    m = world.companies["m"]
    calls: list[int] = []

    async def broken_upsert(db: Any, document_id: int, values: dict[str, Any]) -> None:
        calls.append(document_id)
        raise RuntimeError("metadata store went away mid-write")

    monkeypatch.setattr(metadata_module, "upsert_metadata", broken_upsert)
    before = await _count(conn, "documents", m)
    status, body, headers = await api.post(
        UPLOAD,
        {
            "input": {
                "companyId": str(m),
                "filename": "half-written.txt",
                "documentType": "invoice",
                "content": INVOICE_TEXT,
            }
        },
        m_token,
    )
    assert len(calls) == 1  # the document row was inserted before the failure
    assert status == 200
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == headers["X-Request-Id"]
    assert "went away" not in error["message"]
    assert await _count(conn, "documents", m) == before
    assert await conn.fetchval("SELECT count(*) FROM documents WHERE id = $1", calls[0]) == 0
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM documents WHERE company_id = $1 AND filename = $2",
            m,
            "half-written.txt",
        )
        == 0
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("description", "bad\x00byte"), ("referenceNumber", "R" * 101), ("category", "x\x00")],
)
async def test_record_ledger_entry_rejects_bad_free_text(
    api: Api, world: World, m_token: str, conn: asyncpg.Connection, field: str, value: str
) -> None:
    m = world.companies["m"]
    before = await _count(conn, "ledger_entries", m)
    values = {
        "companyId": str(m),
        "entryType": "income",
        "amount": "10.00",
        "transactionDate": "2025-04-01",
        field: value,
    }
    status, body, _ = await api.post(RECORD, {"input": values}, m_token)
    assert status == 200
    assert _codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["argument"] == field
    assert await _count(conn, "ledger_entries", m) == before
