"""Document.ledgerEntries: the entries recorded against a document, batched, cached, scoped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from app.config import Settings
from tests.conftest import Api, make_token, running, start_api
from tests.world import World

UPLOAD = """mutation U($c: ID!) { uploadDocument(input: {companyId: $c, filename: "l.txt",
  documentType: "invoice", content: "Invoice INV-1 KES 100"}) { id } }"""
RECORD = """mutation R($c: ID!, $d: ID!, $a: Decimal!, $t: Date!) { recordLedgerEntry(input: {
  companyId: $c, documentId: $d, entryType: "expense", amount: $a, transactionDate: $t}) { id } }"""
APPROVE = "mutation A($id: ID!) { approveLedgerEntry(id: $id) { id approvalStatus } }"
ENTRIES = """query E($id: ID!) { document(id: $id) { id ledgerEntries { id amount approvalStatus
  transactionDate document { id } company { id } } } }"""
PAGE = """query P($c: ID!) { documents(first: 20, filter: {companyId: $c}) { nodes { id
  ledgerEntries { id amount } } } }"""


@pytest.fixture(scope="module")
async def cached(settings: Settings, world: World) -> AsyncIterator[Api]:
    async for api in start_api(replace(settings, cache_enabled=True)):
        yield api


async def _document_with_entries(api: Api, company: int, token: str) -> tuple[str, list[str]]:
    document = (await api.data(UPLOAD, {"c": str(company)}, token))["uploadDocument"]["id"]
    entries = []
    for amount, day in (("10.00", "2025-04-01"), ("25.50", "2025-05-01")):
        variables = {"c": str(company), "d": document, "a": amount, "t": day}
        entries.append((await api.data(RECORD, variables, token))["recordLedgerEntry"]["id"])
    return document, entries


async def test_entries_newest_first_and_identical_on_both_paths(
    api: Api, settings: Settings, world: World, admin_token: str
) -> None:
    company = world.companies["m"]
    document, entries = await _document_with_entries(api, company, admin_token)
    status, body, headers = await api.post(ENTRIES, {"id": document}, admin_token)
    assert status == 200 and headers["X-Execution-Path"] == "fast", body
    got = body["data"]["document"]["ledgerEntries"]
    assert [e["id"] for e in got] == entries[::-1]
    assert [e["amount"] for e in got] == ["25.50", "10.00"]
    assert {e["document"]["id"] for e in got} == {document}
    assert {e["company"]["id"] for e in got} == {str(company)}
    async with running(replace(settings, fastpath_enabled=False)) as stock:
        response = await stock.client.post(
            "/graphql",
            json={"query": ENTRIES, "variables": {"id": document}},
            headers={"Authorization": f"Bearer {admin_token}"},
        )
        assert response.headers["X-Execution-Path"] == "stock"
        assert (
            await response.read()
            == await (
                await api.client.post(
                    "/graphql",
                    json={"query": ENTRIES, "variables": {"id": document}},
                    headers={"Authorization": f"Bearer {admin_token}"},
                )
            ).read()
        )


async def test_one_round_trip_for_the_entries_of_every_document_in_a_page(
    api: Api, world: World, admin_token: str
) -> None:
    company = world.companies["m"]
    await _document_with_entries(api, company, admin_token)
    await _document_with_entries(api, company, admin_token)
    status, body, headers = await api.post(PAGE, {"c": str(company)}, admin_token)
    assert status == 200, body
    nodes = body["data"]["documents"]["nodes"]
    assert sum(len(n["ledgerEntries"]) for n in nodes) >= 4
    assert headers["X-DB-Round-Trips"] == "2"  # documents, then every document's entries


async def test_other_tenants_see_neither_the_document_nor_its_entries(
    api: Api, world: World, admin_token: str
) -> None:
    document, _ = await _document_with_entries(api, world.companies["m"], admin_token)
    outsider = make_token("viewer", [world.companies["a"]], subject="outsider")
    assert (await api.data(ENTRIES, {"id": document}, outsider)) == {"document": None}


async def test_recording_and_approving_invalidate_the_cached_list(
    cached: Api, world: World, admin_token: str
) -> None:
    company = world.companies["m"]
    document, entries = await _document_with_entries(cached, company, admin_token)
    first = await cached.post(ENTRIES, {"id": document}, admin_token)
    again = await cached.post(ENTRIES, {"id": document}, admin_token)
    assert (first[2]["X-Cache"], again[2]["X-Cache"]) == ("MISS", "HIT")
    variables = {"c": str(company), "d": document, "a": "1.00", "t": "2025-06-01"}
    await cached.data(RECORD, variables, admin_token)
    after_record = await cached.post(ENTRIES, {"id": document}, admin_token)
    assert after_record[2]["X-Cache"] == "MISS"
    assert len(after_record[1]["data"]["document"]["ledgerEntries"]) == 3
    await cached.data(APPROVE, {"id": entries[0]}, admin_token)
    after_approve = await cached.post(ENTRIES, {"id": document}, admin_token)
    assert after_approve[2]["X-Cache"] == "MISS"
    statuses = {
        e["id"]: e["approvalStatus"] for e in after_approve[1]["data"]["document"]["ledgerEntries"]
    }
    assert statuses[entries[0]] == "approved"
