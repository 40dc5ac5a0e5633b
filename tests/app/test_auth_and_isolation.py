"""Who may ask what: anonymous access, rejected tokens, and company isolation on every path."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from tests.conftest import JWT_SECRET, Api, make_token
from tests.world import World

WRONG_SECRET = "another-secret-that-is-long-enough-0123456789"


def _codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def _signed(secret: str = JWT_SECRET, **overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "mallory",
        "role": "viewer",
        "companies": "*",
        "iat": now,
        "exp": now + 3600,
    }
    claims.update(overrides)
    return jwt.encode(claims, secret, algorithm="HS256")


def _ids(nodes: list[dict[str, Any]]) -> list[int]:
    return [int(node["id"]) for node in nodes]


# --- anonymous callers ---------------------------------------------------------------------


async def test_anonymous_caller_can_ask_for_typename(api: Api) -> None:
    status, body, _ = await api.post("{ __typename }")
    assert status == 200
    assert body == {"data": {"__typename": "Query"}}


async def test_anonymous_caller_can_introspect_the_schema(api: Api) -> None:
    status, body, _ = await api.post(
        '{ __schema { queryType { name } mutationType { name } } __type(name: "Document") '
        "{ fields { name } } }"
    )
    assert status == 200
    assert "errors" not in body, body
    assert body["data"]["__schema"] == {
        "queryType": {"name": "Query"},
        "mutationType": {"name": "Mutation"},
    }
    fields = {field["name"] for field in body["data"]["__type"]["fields"]}
    assert {"id", "filename", "company", "metadata"} <= fields


@pytest.mark.parametrize(
    "query",
    [
        "{ companies { nodes { id } } }",
        '{ document(id: "1") { id } }',
        "{ viewer { subject } }",
        "{ documents { nodes { id } } }",
    ],
    ids=["companies", "document", "viewer", "documents"],
)
async def test_anonymous_caller_gets_unauthenticated_for_data_fields(api: Api, query: str) -> None:
    status, body, _ = await api.post(query)
    assert status == 200
    assert _codes(body) == ["UNAUTHENTICATED"]
    assert not any(value for value in (body.get("data") or {}).values())


# --- rejected tokens -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("not-a-jwt-at-all", id="garbage"),
        pytest.param(_signed(WRONG_SECRET), id="wrong-signature"),
        pytest.param(
            _signed(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), id="expired"
        ),
        pytest.param(_signed(role="superuser"), id="unknown-role"),
        pytest.param(_signed(companies="all"), id="bad-companies-claim"),
    ],
)
async def test_bad_token_is_rejected_with_401(api: Api, token: str) -> None:
    status, body, headers = await api.post("{ __typename }", token=token)
    assert status == 401
    assert _codes(body) == ["UNAUTHENTICATED"]
    assert "data" not in body
    assert headers["WWW-Authenticate"].startswith("Bearer")


async def test_token_signed_with_the_test_secret_is_accepted(api: Api) -> None:
    """The control for the cases above: the same claims, correctly signed, pass."""
    data = await api.data("{ viewer { subject role } }", token=_signed())
    assert data["viewer"] == {"subject": "mallory", "role": "viewer"}


@pytest.mark.parametrize("header", ["Basic xyz", "Bearer", "Bearer    ", "Token abc"])
async def test_non_bearer_authorization_is_rejected_with_401(api: Api, header: str) -> None:
    status, body, headers = await api.post(
        "{ companies { nodes { id } } }", headers={"Authorization": header}
    )
    assert status == 401
    assert _codes(body) == ["UNAUTHENTICATED"]
    assert "WWW-Authenticate" in headers


# --- viewer and system metrics -------------------------------------------------------------


async def test_viewer_reports_subject_role_and_companies(api: Api, world: World) -> None:
    a, b = world.companies["a"], world.companies["b"]
    token = make_token("accountant", [b, a], subject="alice")
    data = await api.data("{ viewer { subject role companyIds } }", token=token)
    assert data["viewer"] == {
        "subject": "alice",
        "role": "accountant",
        "companyIds": sorted([str(a), str(b)], key=int),
    }


async def test_viewer_of_unrestricted_token_has_null_company_ids(
    api: Api, admin_token: str
) -> None:
    data = await api.data("{ viewer { subject role companyIds } }", token=admin_token)
    assert data["viewer"] == {"subject": "tester", "role": "admin", "companyIds": None}


async def test_admin_reads_system_metrics(api: Api, admin_token: str) -> None:
    data = await api.data(
        "{ systemMetrics { uptimeSeconds rssBytes threads dbPoolSize dbPoolMax } }",
        token=admin_token,
    )
    metrics = data["systemMetrics"]
    assert metrics["rssBytes"] > 0
    assert metrics["threads"] >= 1
    assert metrics["uptimeSeconds"] >= 0
    assert 1 <= metrics["dbPoolSize"] <= metrics["dbPoolMax"]


@pytest.mark.parametrize("role", ["viewer", "accountant"])
async def test_non_admin_is_forbidden_system_metrics(api: Api, role: str) -> None:
    status, body, _ = await api.post("{ systemMetrics { rssBytes } }", token=make_token(role, "*"))
    assert status == 200
    assert _codes(body) == ["FORBIDDEN"]
    assert body["data"] is None


# --- tenant isolation: a viewer of company a only ------------------------------------------


@pytest.fixture(scope="module")
def a_token(world: World) -> str:
    return make_token("viewer", [world.companies["a"]], subject="viewer-a")


async def test_document_of_other_company_is_null(api: Api, world: World, a_token: str) -> None:
    query = "query($id: ID!) { document(id: $id) { id company { id } } }"
    data = await api.data(query, {"id": str(world.documents["b"][0])}, a_token)
    assert data == {"document": None}
    own = await api.data(query, {"id": str(world.documents["a"][0])}, a_token)
    assert own["document"]["company"]["id"] == str(world.companies["a"])


async def test_other_company_is_null(api: Api, world: World, a_token: str) -> None:
    query = "query($id: ID!) { company(id: $id) { id name } }"
    assert await api.data(query, {"id": str(world.companies["b"])}, a_token) == {"company": None}
    own = await api.data(query, {"id": str(world.companies["a"])}, a_token)
    assert own["company"]["name"] == "Acme Test Holdings"


async def test_companies_lists_only_own_company(api: Api, world: World, a_token: str) -> None:
    data = await api.data("{ companies(first: 100) { nodes { id } totalCount } }", token=a_token)
    assert _ids(data["companies"]["nodes"]) == [world.companies["a"]]
    assert data["companies"]["totalCount"] == 1


async def test_documents_without_filter_lists_only_own_documents(
    api: Api, world: World, a_token: str
) -> None:
    data = await api.data(
        "{ documents(first: 100) { nodes { id company { id } } totalCount } }", token=a_token
    )
    nodes = data["documents"]["nodes"]
    assert _ids(nodes) == world.documents["a"]
    assert {node["company"]["id"] for node in nodes} == {str(world.companies["a"])}
    assert data["documents"]["totalCount"] == 25


async def test_documents_filtered_to_other_company_is_empty(
    api: Api, world: World, a_token: str
) -> None:
    data = await api.data(
        "query($c: ID!) { documents(first: 100, filter: {companyId: $c}) "
        "{ nodes { id } totalCount pageInfo { hasNextPage } } }",
        {"c": str(world.companies["b"])},
        a_token,
    )
    assert data["documents"] == {
        "nodes": [],
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False},
    }


async def test_search_finds_only_own_matching_documents(
    api: Api, world: World, a_token: str, admin_token: str
) -> None:
    query = '{ searchDocuments(query: "cement", first: 100) { nodes { id } totalCount } }'
    everyone = await api.data(query, token=admin_token)
    # the control: b has cement documents too, and an unrestricted caller finds them
    assert set(world.cement_documents["b"]) <= set(_ids(everyone["searchDocuments"]["nodes"]))
    data = await api.data(query, token=a_token)
    found = _ids(data["searchDocuments"]["nodes"])
    assert sorted(found) == sorted(world.cement_documents["a"])
    assert data["searchDocuments"]["totalCount"] == len(world.cement_documents["a"])


async def test_nested_relationships_hide_other_companies(
    api: Api, world: World, a_token: str
) -> None:
    a, b, c = (world.companies[k] for k in "abc")
    query = (
        "query($id: ID!) { company(id: $id) { relationships { relationshipType company { id } } "
        "documents(first: 1) { nodes { company { relationships { company { id } } } } } } }"
    )
    data = await api.data(query, {"id": str(a)}, a_token)
    company = data["company"]
    seen = {int(r["company"]["id"]) for r in company["relationships"]}
    nested = company["documents"]["nodes"][0]["company"]["relationships"]
    seen |= {int(r["company"]["id"]) for r in nested}
    assert not seen & {b, c}

    both = make_token("viewer", [a, b])
    data = await api.data(query, {"id": str(a)}, both)
    related = {int(r["company"]["id"]) for r in data["company"]["relationships"]}
    assert related == {b}


async def test_ledger_entries_of_other_company_are_empty(
    api: Api, world: World, a_token: str
) -> None:
    query = "query($c: ID!) { ledgerEntries(companyId: $c, first: 50) { nodes { id } totalCount } }"
    data = await api.data(query, {"c": str(world.companies["b"])}, a_token)
    assert data["ledgerEntries"] == {"nodes": [], "totalCount": 0}
    own = await api.data(query, {"c": str(world.companies["a"])}, a_token)
    assert sorted(_ids(own["ledgerEntries"]["nodes"])) == sorted(world.ledger["a"])


async def test_financial_summary_of_other_company_is_not_found(
    api: Api, world: World, a_token: str
) -> None:
    query = "query($c: ID!) { financialSummary(companyId: $c) { net entryCount } }"
    status, body, _ = await api.post(query, {"c": str(world.companies["b"])}, a_token)
    assert status == 200
    assert _codes(body) == ["NOT_FOUND"]
    assert body["data"] is None
    own = await api.data(query, {"c": str(world.companies["a"])}, a_token)
    assert own["financialSummary"]["entryCount"] == 4  # approved entries only


async def test_document_statistics_count_only_own_documents(
    api: Api, world: World, a_token: str
) -> None:
    data = await api.data(
        "{ documentStatistics { total byCategory { key count } } }", token=a_token
    )
    stats = data["documentStatistics"]
    assert stats["total"] == 25
    assert sum(bucket["count"] for bucket in stats["byCategory"]) == 25


async def test_document_statistics_of_other_company_are_zero(
    api: Api, world: World, a_token: str
) -> None:
    data = await api.data(
        "query($c: ID!) { documentStatistics(companyId: $c) { total byType { key count } } }",
        {"c": str(world.companies["b"])},
        a_token,
    )
    assert data["documentStatistics"] == {"total": 0, "byType": []}


async def test_token_for_two_companies_sees_both(api: Api, world: World) -> None:
    a, b = world.companies["a"], world.companies["b"]
    token = make_token("viewer", [a, b])
    data = await api.data(
        "query($doc: ID!, $b: ID!) { companies(first: 100) { nodes { id } } "
        "document(id: $doc) { id } company(id: $b) { id } documentStatistics { total } "
        "ledgerEntries(companyId: $b) { totalCount } }",
        {"doc": str(world.documents["b"][0]), "b": str(b)},
        token,
    )
    assert sorted(_ids(data["companies"]["nodes"])) == sorted([a, b])
    assert data["document"] == {"id": str(world.documents["b"][0])}
    assert data["company"] == {"id": str(b)}
    assert data["documentStatistics"]["total"] == 25 + 12
    assert data["ledgerEntries"]["totalCount"] == len(world.ledger["b"])
