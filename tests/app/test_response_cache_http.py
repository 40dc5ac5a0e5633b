"""The response cache over real HTTP (in-process backend): hits, tenancy, invalidation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from app.config import Settings
from tests.conftest import Api, make_token, start_api
from tests.world import World

DOCS = "query Docs($c: ID!) { documents(first: 5, filter: {companyId: $c}) { nodes { id filename } totalCount } }"
ALL_DOCS = "{ documents(first: 100) { totalCount } }"
LEDGER = (
    "query L($c: ID!) { ledgerEntries(companyId: $c) { totalCount nodes { id approvalStatus } } }"
)
SUMMARY = "query S($c: ID!) { financialSummary(companyId: $c) { income entryCount } }"
COMPANIES = "{ companies(first: 100) { totalCount nodes { name } } }"
DOCUMENT = "query D($id: ID!) { document(id: $id) { id filename metadata { tags } } }"


@pytest.fixture(scope="module")
async def cached_api(settings: Settings, world: World) -> AsyncIterator[Api]:
    async for api in start_api(replace(settings, cache_enabled=True)):
        yield api


async def _ask(
    api: Api, query: str, variables: dict[str, Any] | None, token: str
) -> tuple[str, dict[str, Any], Any]:
    status, body, headers = await api.post(query, variables, token)
    assert status == 200 and "errors" not in body, body
    return headers["X-Cache"], body["data"], headers


async def test_second_identical_query_is_a_hit_with_the_same_bytes(
    cached_api: Api, world: World
) -> None:
    token = make_token("viewer", [world.companies["a"]])
    variables = {"c": str(world.companies["a"])}
    first = await cached_api.client.post(
        "/graphql",
        json={"query": DOCS, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    second = await cached_api.client.post(
        "/graphql",
        json={"query": DOCS, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("MISS", "HIT")
    assert await first.read() == await second.read()
    assert second.headers["X-DB-Round-Trips"] == "0"
    assert second.headers["Cache-Control"] == "no-store"  # POST: no HTTP caching


async def test_get_responses_carry_cache_control(cached_api: Api, world: World) -> None:
    token = make_token("viewer", [world.companies["a"]])
    params = {"query": "{ documentStatistics { total } }"}
    for expected in ("MISS", "HIT"):
        response = await cached_api.client.get(
            "/graphql", params=params, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status == 200
        assert response.headers["X-Cache"] == expected
        assert response.headers["Cache-Control"] == "private, max-age=10"


async def test_no_cross_tenant_hit(cached_api: Api, world: World) -> None:
    a, b = world.companies["a"], world.companies["b"]
    viewer_a, viewer_b = make_token("viewer", [a]), make_token("viewer", [b])
    status_a, data_a, _ = await _ask(cached_api, ALL_DOCS, None, viewer_a)
    status_b, data_b, _ = await _ask(cached_api, ALL_DOCS, None, viewer_b)
    assert (status_a, status_b) == ("MISS", "MISS")
    assert data_a["documents"]["totalCount"] == len(world.documents["a"])
    assert data_b["documents"]["totalCount"] == len(world.documents["b"])
    # Same access, different person: a shared entry is fine.
    other_a = make_token("viewer", [a], subject="someone-else")
    status, data, _ = await _ask(cached_api, ALL_DOCS, None, other_a)
    assert (status, data) == ("HIT", data_a)


async def test_viewer_answers_are_never_shared_between_people(
    cached_api: Api, world: World
) -> None:
    a = world.companies["a"]
    first = make_token("viewer", [a], subject="first-person")
    second = make_token("viewer", [a], subject="second-person")
    _, data, _ = await _ask(cached_api, "{ viewer { subject } }", None, first)
    assert data["viewer"]["subject"] == "first-person"
    status, data, _ = await _ask(cached_api, "{ viewer { subject } }", None, second)
    assert (status, data["viewer"]["subject"]) == ("MISS", "second-person")


async def test_system_metrics_and_errors_are_never_cached(cached_api: Api, world: World) -> None:
    admin = make_token("admin", "*")
    for _ in range(2):
        status, _, _ = await _ask(cached_api, "{ systemMetrics { threads } }", None, admin)
        assert status == "BYPASS"
    viewer = make_token("viewer", [world.companies["a"]])
    for _ in range(2):
        _, body, headers = await cached_api.post(
            "{ documents(first: 1000) { totalCount } }", None, viewer
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert headers["X-Cache"] == "MISS"


async def _mutate(api: Api, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    status, body, headers = await api.post(query, variables, token)
    assert status == 200 and "errors" not in body, body
    assert headers["X-Cache"] == "BYPASS"
    return body["data"]  # type: ignore[no-any-return]


UPLOAD = """mutation U($input: UploadDocumentInput!) { uploadDocument(input: $input) { id } }"""


async def test_every_mutation_invalidates_what_it_changed(cached_api: Api, world: World) -> None:
    m = world.companies["m"]
    writer = make_token("accountant", [m], subject="writer-m")
    reader = make_token("viewer", [m], subject="reader-m")
    admin = make_token("admin", "*", subject="admin-cache")
    docs_vars = {"c": str(m)}

    async def warm(query: str, variables: dict[str, Any] | None, token: str) -> dict[str, Any]:
        await _ask(cached_api, query, variables, token)
        status, data, _ = await _ask(cached_api, query, variables, token)
        assert status == "HIT"
        return data

    # uploadDocument: the company's lists and the admin's unfiltered list go stale.
    before = await warm(DOCS, docs_vars, reader)
    before_all = await warm(ALL_DOCS, None, admin)
    uploaded = await _mutate(
        cached_api,
        UPLOAD,
        {
            "input": {
                "companyId": str(m),
                "filename": "c.txt",
                "documentType": "receipt",
                "content": "x",
            }
        },
        writer,
    )
    doc_id = uploaded["uploadDocument"]["id"]
    status, after, _ = await _ask(cached_api, DOCS, docs_vars, reader)
    assert status == "MISS"
    assert after["documents"]["totalCount"] == before["documents"]["totalCount"] + 1
    status, after_all, _ = await _ask(cached_api, ALL_DOCS, None, admin)
    assert status == "MISS"
    assert after_all["documents"]["totalCount"] == before_all["documents"]["totalCount"] + 1

    # updateDocument: the document itself goes stale.
    await warm(DOCUMENT, {"id": doc_id}, reader)
    await _mutate(
        cached_api,
        'mutation($id: ID!) { updateDocument(id: $id, input: {tags: ["fresh"]}) { id } }',
        {"id": doc_id},
        writer,
    )
    status, data, _ = await _ask(cached_api, DOCUMENT, {"id": doc_id}, reader)
    assert (status, data["document"]["metadata"]["tags"]) == ("MISS", ["fresh"])

    # ... and so does a list that read its metadata joined into the documents' statement.
    joined = (
        "query($c: ID!) { documents(first: 50, filter: {companyId: $c}) "
        "{ nodes { id company { name } metadata { tags } } } }"
    )
    await warm(joined, docs_vars, reader)
    await _mutate(
        cached_api,
        'mutation($id: ID!) { updateDocument(id: $id, input: {tags: ["fresher"]}) { id } }',
        {"id": doc_id},
        writer,
    )
    status, data, _ = await _ask(cached_api, joined, docs_vars, reader)
    tags = {n["id"]: n["metadata"]["tags"] for n in data["documents"]["nodes"]}
    assert (status, tags[doc_id]) == ("MISS", ["fresher"])

    # deleteDocument: lookups and lists.
    await warm(DOCS, docs_vars, reader)
    await _mutate(
        cached_api, "mutation($id: ID!) { deleteDocument(id: $id) }", {"id": doc_id}, writer
    )
    status, data, _ = await _ask(cached_api, DOCUMENT, {"id": doc_id}, reader)
    assert (status, data["document"]) == ("MISS", None)
    status, data, _ = await _ask(cached_api, DOCS, docs_vars, reader)
    assert status == "MISS" and data["documents"]["totalCount"] == before["documents"]["totalCount"]

    # recordLedgerEntry and approveLedgerEntry: the ledger list and the summary.
    ledger_before = await warm(LEDGER, docs_vars, reader)
    summary_before = await warm(SUMMARY, docs_vars, reader)
    recorded = await _mutate(
        cached_api,
        "mutation($input: LedgerEntryInput!) { recordLedgerEntry(input: $input) { id } }",
        {
            "input": {
                "companyId": str(m),
                "entryType": "income",
                "amount": "5.00",
                "transactionDate": "2025-05-05",
            }
        },
        writer,
    )
    status, data, _ = await _ask(cached_api, LEDGER, docs_vars, reader)
    assert status == "MISS"
    assert data["ledgerEntries"]["totalCount"] == ledger_before["ledgerEntries"]["totalCount"] + 1
    await warm(SUMMARY, docs_vars, reader)
    await _mutate(
        cached_api,
        "mutation($id: ID!) { approveLedgerEntry(id: $id) { id } }",
        {"id": recorded["recordLedgerEntry"]["id"]},
        writer,
    )
    status, data, _ = await _ask(cached_api, SUMMARY, docs_vars, reader)
    assert status == "MISS"
    assert (
        data["financialSummary"]["entryCount"]
        == summary_before["financialSummary"]["entryCount"] + 1
    )

    # createCompany: the company list.
    listed = await warm(COMPANIES, None, admin)
    await _mutate(
        cached_api,
        "mutation($input: CreateCompanyInput!) { createCompany(input: $input) { id } }",
        {"input": {"name": "Cache Test Co", "companyType": "SUBSIDIARY"}},
        admin,
    )
    status, data, _ = await _ask(cached_api, COMPANIES, None, admin)
    assert status == "MISS"
    assert data["companies"]["totalCount"] == listed["companies"]["totalCount"] + 1


async def test_unrelated_mutation_leaves_other_companies_entries_cached(
    cached_api: Api, world: World
) -> None:
    a, m = world.companies["a"], world.companies["m"]
    reader_a = make_token("viewer", [a], subject="reader-a")
    variables = {"c": str(a)}
    await _ask(cached_api, DOCS, variables, reader_a)
    await _mutate(
        cached_api,
        UPLOAD,
        {
            "input": {
                "companyId": str(m),
                "filename": "d.txt",
                "documentType": "other",
                "content": "y",
            }
        },
        make_token("accountant", [m]),
    )
    status, _, _ = await _ask(cached_api, DOCS, variables, reader_a)
    assert status == "HIT"


async def test_identical_concurrent_misses_execute_once(cached_api: Api, world: World) -> None:
    token = make_token("viewer", [world.companies["b"]], subject="flight")
    query = "query Flight { documents(first: 7) { nodes { id company { name } } } }"
    results = await asyncio.gather(*(cached_api.post(query, None, token) for _ in range(6)))
    trips = sorted(int(headers["X-DB-Round-Trips"]) for _, _, headers in results)
    bodies = {str(body) for _, body, _ in results}
    assert len(bodies) == 1
    # One request executed (one statement: the company is joined); the others shared it.
    assert trips[-1] == 1 and sum(trips) == 1
    assert {headers["X-Cache"] for _, _, headers in results} <= {"MISS", "HIT"}
