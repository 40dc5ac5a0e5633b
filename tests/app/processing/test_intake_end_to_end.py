"""Uploads end to end: a text body and a multipart PDF reach ``processed`` with entities at
the right offsets, the download is tenant-checked, and both NOTIFYs are sent."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson
from fpdf import FPDF

from tests.app.processing.conftest import UPLOAD, multipart_upload, wait_processed, wait_until
from tests.conftest import Api, TestDatabase, make_token
from tests.world import World

TEXT = (
    "Invoice No: INV-4410\n"
    "From: Simba Cement Ltd\n"
    "KRA PIN A123456789Z, paid by M-Pesa QGH7ABC12X on 30/06/2025.\n"
    "Call 0712345678 for queries. Total KES 12,500.00\n"
)
READ = """
query($id: ID!) { document(id: $id) { id processingStatus mimeType
  processing { status attempts lastError startedAt finishedAt riskReasons { rule } }
  metadata { invoiceNumber vendorName totalAmount classification summary keywords riskScore
    entities { label text start end } } } }
"""


def _pdf(lines: list[str]) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    for line in lines:
        pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _token(world: World, key: str = "m", role: str = "accountant") -> str:
    return make_token(role, [world.companies[key]], subject=f"{role}-{key}")


async def _listen(
    test_db: TestDatabase, channels: list[str]
) -> tuple[asyncpg.Connection, list[tuple[str, Any]]]:
    conn = await asyncpg.connect(test_db.url)
    seen: list[tuple[str, Any]] = []
    for channel in channels:
        await conn.add_listener(
            channel, lambda _c, _p, ch, payload: seen.append((ch, orjson.loads(payload)))
        )
    return conn, seen


async def test_text_upload_is_processed_with_entities_at_their_offsets(
    papi: Api, world: World, conn: asyncpg.Connection, run_worker: Any, test_db: TestDatabase
) -> None:
    listener, seen = await _listen(test_db, ["vanta_document_processed", "vanta_cache_invalidate"])
    token = _token(world)
    company = world.companies["m"]
    try:
        data = await papi.data(
            UPLOAD,
            {
                "input": {
                    "companyId": str(company),
                    "filename": "inv-4410.txt",
                    "documentType": "invoice",
                    "content": TEXT,
                }
            },
            token,
        )
        uploaded = data["uploadDocument"]
        assert uploaded["processingStatus"] == "pending"
        assert uploaded["processing"] == {"status": "pending", "attempts": 0}
        doc_id = int(uploaded["id"])
        async with run_worker():
            state = await wait_processed(conn, doc_id)
        assert state["attempts"] == 1 and state["processed_at"] is not None
        document = (await papi.data(READ, {"id": str(doc_id)}, token))["document"]
        await wait_until(lambda: _async(len(seen) >= 2), "both notifications")
    finally:
        await listener.close()

    assert document["processingStatus"] == "processed"
    assert document["processing"]["status"] == "processed"
    assert document["processing"]["attempts"] == 1
    assert document["processing"]["finishedAt"] is not None
    metadata = document["metadata"]
    assert metadata["invoiceNumber"] == "INV-4410"
    assert metadata["vendorName"] == "Simba Cement Ltd"
    assert metadata["totalAmount"] == "12500.00"
    assert metadata["classification"] == "invoice"
    assert 0 <= metadata["riskScore"] <= 1
    by_label = {e["label"]: e for e in metadata["entities"]}
    for label, text in (
        ("KRA_PIN", "A123456789Z"),
        ("MPESA_CODE", "QGH7ABC12X"),
        ("PHONE", "0712345678"),
        ("INVOICE_NUMBER", "INV-4410"),
        ("DATE", "30/06/2025"),
    ):
        entity = by_label[label]
        assert entity["text"] == text
        assert TEXT[entity["start"] : entity["end"]] == text
    money = [e for e in metadata["entities"] if e["label"] == "MONEY"]
    assert [TEXT[e["start"] : e["end"]] for e in money] == ["KES 12,500.00"]
    # The contract NOTIFYs, sent in the transaction that ended the job.
    processed = [
        p for ch, p in seen if ch == "vanta_document_processed" and p["document_id"] == doc_id
    ]
    assert processed and processed[0]["company_id"] == company
    assert processed[0]["status"] == "processed" and processed[0]["processed_at"]
    tag_sets = [p["tags"] for ch, p in seen if ch == "vanta_cache_invalidate"]
    assert any(
        f"Document:{doc_id}" in tags and f"Company:{company}:documents" in tags for tags in tag_sets
    )


async def _async(value: Any) -> Any:
    return value


async def test_pdf_multipart_upload_is_processed_and_downloadable_by_its_tenant_only(
    papi: Api, world: World, conn: asyncpg.Connection, run_worker: Any
) -> None:
    lines = ["Tax Invoice INV-9120", "Supplier KRA PIN P051234567Q", "Total KES 48,000.00"]
    pdf = _pdf(lines)
    token = _token(world)
    company = world.companies["m"]
    form = multipart_upload(
        {"companyId": str(company), "filename": "inv-9120.pdf", "documentType": "invoice"},
        pdf,
        "inv-9120.pdf",
        "application/pdf",
    )
    response = await papi.client.post(
        "/graphql",
        data=form,
        headers={"Authorization": f"Bearer {token}", "Apollo-Require-Preflight": "true"},
    )
    body = await response.json()
    assert response.status == 200, body
    assert "errors" not in body, body
    uploaded = body["data"]["uploadDocument"]
    assert uploaded["mimeType"] == "application/pdf"
    assert uploaded["fileSize"] == len(pdf)
    assert uploaded["processingStatus"] == "pending"
    doc_id = int(uploaded["id"])

    async with run_worker():
        await wait_processed(conn, doc_id)
    document = (await papi.data(READ, {"id": str(doc_id)}, token))["document"]
    text = await conn.fetchval("SELECT text FROM document_metadata WHERE document_id = $1", doc_id)
    entities = {e["label"]: e for e in document["metadata"]["entities"]}
    assert entities["KRA_PIN"]["text"] == "P051234567Q"
    assert entities["INVOICE_NUMBER"]["text"] == "INV-9120"
    for entity in document["metadata"]["entities"]:
        assert text[entity["start"] : entity["end"]] == entity["text"]
    assert document["metadata"]["totalAmount"] == "48000.00"

    download = await papi.client.get(
        f"/files/{doc_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert download.status == 200
    assert download.headers["Content-Type"] == "application/pdf"
    assert await download.read() == pdf
    other = _token(world, "a")
    for headers in ({"Authorization": f"Bearer {other}"}, {}):
        refused = await papi.client.get(f"/files/{doc_id}", headers=headers)
        assert refused.status in (401, 404)
        assert refused.status == (404 if headers else 401)
    missing = await papi.client.get(
        "/files/999999999", headers={"Authorization": f"Bearer {token}"}
    )
    assert (
        missing.status == 404
        and (await missing.json())["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    )
    bad = await papi.client.get("/files/abc", headers={"Authorization": f"Bearer {token}"})
    assert bad.status == 404
    # The other tenant does not see the document either.
    seen = await papi.data(
        "query($id: ID!) { document(id: $id) { id } }", {"id": str(doc_id)}, other
    )
    assert seen["document"] is None


async def test_same_bytes_are_stored_once_and_flagged_as_duplicate(
    papi: Api, world: World, conn: asyncpg.Connection, run_worker: Any, processing_settings: Any
) -> None:
    token = _token(world)
    company = world.companies["m"]
    ids = []
    for name in ("dup-a.txt", "dup-b.txt"):
        data = await papi.data(
            UPLOAD,
            {
                "input": {
                    "companyId": str(company),
                    "filename": name,
                    "documentType": "receipt",
                    "content": "Receipt for cement, Total KES 900.00",
                }
            },
            token,
        )
        ids.append(int(data["uploadDocument"]["id"]))
    files = [p for p in (processing_settings.data_dir / "files").iterdir() if p.is_file()]
    assert len(files) == 1
    async with run_worker():
        for doc_id in ids:
            await wait_processed(conn, doc_id)
    reasons = await papi.data(READ, {"id": str(ids[1])}, token)
    rules = {r["rule"] for r in reasons["document"]["processing"]["riskReasons"]}
    assert {"duplicate_content", "missing_invoice_number"} <= rules
