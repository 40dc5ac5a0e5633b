"""Keyset pagination of documents, companies and ledger entries, root and nested."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest

from tests.conftest import Api, make_token
from tests.world import World

ROOT_DOCUMENTS = """
query Docs($company: ID!, $first: Int, $after: String) {
  documents(first: $first, after: $after, filter: {companyId: $company}) {
    edges { cursor node { id } }
    nodes { id }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""

ROOT_DOCUMENTS_ORDERED = """
query Docs($company: ID!, $first: Int, $after: String, $order: DocumentOrder!) {
  documents(first: $first, after: $after, filter: {companyId: $company}, orderBy: $order) {
    nodes { id }
    pageInfo { hasNextPage endCursor }
  }
}
"""

NESTED_DOCUMENTS = """
query Nested($company: ID!, $first: Int, $after: String) {
  company(id: $company) {
    documents(first: $first, after: $after) {
      edges { cursor node { id } }
      nodes { id }
      pageInfo { hasNextPage endCursor }
      totalCount
    }
  }
}
"""

ROOT_LEDGER = """
query Ledger($company: ID!, $first: Int, $after: String) {
  ledgerEntries(companyId: $company, first: $first, after: $after) {
    edges { cursor node { id } }
    nodes { id }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""

NESTED_LEDGER = """
query Ledger($company: ID!, $first: Int, $after: String) {
  company(id: $company) {
    ledgerEntries(first: $first, after: $after) {
      edges { cursor node { id } }
      nodes { id }
      pageInfo { hasNextPage endCursor }
      totalCount
    }
  }
}
"""

COMPANIES = """
query Companies($first: Int, $after: String) {
  companies(first: $first, after: $after) {
    edges { cursor node { name } }
    nodes { id name }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""


@pytest.fixture(scope="module")
def abc_token(world: World) -> str:
    """A viewer of companies a, b and c only: rows other tests create stay invisible."""
    return make_token("viewer", [world.companies[k] for k in ("a", "b", "c")])


def _cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def _connection(data: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    for name in path:
        data = data[name]
    return data


async def _walk(
    api: Api,
    query: str,
    variables: dict[str, Any],
    token: str,
    path: tuple[str, ...],
) -> list[dict[str, Any]]:
    """Every page of a connection, following ``endCursor`` until ``hasNextPage`` is false."""
    pages: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        data = await api.data(query, {**variables, "after": after}, token)
        page = _connection(data, path)
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        assert len(pages) < 20, "pagination does not terminate"
        after = page["pageInfo"]["endCursor"]


def _ids(nodes: list[dict[str, Any]]) -> list[int]:
    return [int(node["id"]) for node in nodes]


def _assert_bad_input(status: int, body: dict[str, Any], field: str, argument: str) -> None:
    assert status == 200, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["argument"] == argument, error
    assert (body.get("data") or {}).get(field) is None, body


@pytest.mark.parametrize(
    ("query", "path"),
    [(ROOT_DOCUMENTS, ("documents",)), (NESTED_DOCUMENTS, ("company", "documents"))],
    ids=["root", "nested"],
)
async def test_walking_pages_of_ten_returns_every_document_once_newest_first(
    api: Api, world: World, admin_token: str, query: str, path: tuple[str, ...]
) -> None:
    variables = {"company": str(world.companies["a"]), "first": 10}
    pages = await _walk(api, query, variables, admin_token, path)

    assert [len(page["nodes"]) for page in pages] == [10, 10, 5]
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, True, False]
    walked = [i for page in pages for i in _ids(page["nodes"])]
    assert walked == world.documents["a"]
    assert len(set(walked)) == 25
    assert [page["totalCount"] for page in pages] == [25, 25, 25]


@pytest.mark.parametrize(
    ("query", "path"),
    [(ROOT_DOCUMENTS, ("documents",)), (NESTED_DOCUMENTS, ("company", "documents"))],
    ids=["root", "nested"],
)
async def test_last_edge_cursor_is_the_end_cursor_and_edges_match_nodes(
    api: Api, world: World, admin_token: str, query: str, path: tuple[str, ...]
) -> None:
    data = await api.data(query, {"company": str(world.companies["a"]), "first": 7}, admin_token)
    page = _connection(data, path)

    assert [edge["node"]["id"] for edge in page["edges"]] == [n["id"] for n in page["nodes"]]
    cursors = [edge["cursor"] for edge in page["edges"]]
    assert len(set(cursors)) == 7
    assert cursors[-1] == page["pageInfo"]["endCursor"]


async def test_an_inner_edge_cursor_resumes_right_after_its_node(
    api: Api, world: World, admin_token: str
) -> None:
    company = str(world.companies["a"])
    first = await api.data(ROOT_DOCUMENTS, {"company": company, "first": 5}, admin_token)
    third_cursor = first["documents"]["edges"][2]["cursor"]

    data = await api.data(
        ROOT_DOCUMENTS, {"company": company, "first": 4, "after": third_cursor}, admin_token
    )

    assert _ids(data["documents"]["nodes"]) == world.documents["a"][3:7]


async def test_page_exactly_as_large_as_the_result_has_no_next_page(
    api: Api, world: World, admin_token: str
) -> None:
    data = await api.data(
        ROOT_DOCUMENTS, {"company": str(world.companies["a"]), "first": 25}, admin_token
    )
    assert _ids(data["documents"]["nodes"]) == world.documents["a"]
    assert data["documents"]["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("query", "path"),
    [(ROOT_DOCUMENTS, ("documents",)), (NESTED_DOCUMENTS, ("company", "documents"))],
    ids=["root", "nested"],
)
async def test_page_larger_than_the_result_returns_all_with_no_next_page(
    api: Api, world: World, admin_token: str, query: str, path: tuple[str, ...]
) -> None:
    data = await api.data(query, {"company": str(world.companies["c"]), "first": 5}, admin_token)
    page = _connection(data, path)

    assert _ids(page["nodes"]) == world.documents["c"]
    assert page["pageInfo"] == {
        "hasNextPage": False,
        "endCursor": page["edges"][-1]["cursor"],
    }
    assert page["totalCount"] == 3


async def test_filter_matching_nothing_gives_an_empty_page_without_cursor(
    api: Api, world: World, admin_token: str
) -> None:
    query = """
    query Empty($company: ID!) {
      documents(filter: {companyId: $company, documentType: "tender"}) {
        edges { cursor } nodes { id } pageInfo { hasNextPage endCursor } totalCount
      }
      company(id: $company) {
        documents(filter: {documentType: "tender"}) {
          edges { cursor } nodes { id } pageInfo { hasNextPage endCursor } totalCount
        }
      }
    }
    """
    data = await api.data(query, {"company": str(world.companies["a"])}, admin_token)

    empty = {
        "edges": [],
        "nodes": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "totalCount": 0,
    }
    assert data["documents"] == empty
    assert data["company"]["documents"] == empty


@pytest.mark.parametrize(
    ("query", "path"),
    [(ROOT_DOCUMENTS, ("documents",)), (NESTED_DOCUMENTS, ("company", "documents"))],
    ids=["root", "nested"],
)
async def test_first_zero_returns_no_nodes_but_reports_more_and_the_total(
    api: Api, world: World, admin_token: str, query: str, path: tuple[str, ...]
) -> None:
    data = await api.data(query, {"company": str(world.companies["a"]), "first": 0}, admin_token)
    page = _connection(data, path)

    assert page["nodes"] == [] and page["edges"] == []
    assert page["pageInfo"] == {"hasNextPage": True, "endCursor": None}
    assert page["totalCount"] == 25


async def test_ascending_order_walks_oldest_first(api: Api, world: World, admin_token: str) -> None:
    variables = {"company": str(world.companies["a"]), "first": 10, "order": "UPLOADED_AT_ASC"}
    pages = await _walk(api, ROOT_DOCUMENTS_ORDERED, variables, admin_token, ("documents",))

    assert [len(page["nodes"]) for page in pages] == [10, 10, 5]
    walked = [i for page in pages for i in _ids(page["nodes"])]
    assert walked == list(reversed(world.documents["a"]))


async def test_explicit_descending_order_equals_the_default(
    api: Api, world: World, admin_token: str
) -> None:
    variables = {"company": str(world.companies["a"]), "first": 25, "order": "UPLOADED_AT_DESC"}
    data = await api.data(ROOT_DOCUMENTS_ORDERED, variables, admin_token)
    assert _ids(data["documents"]["nodes"]) == world.documents["a"]


@pytest.mark.parametrize(
    ("made_with", "used_with"),
    [("UPLOADED_AT_ASC", "UPLOADED_AT_DESC"), ("UPLOADED_AT_DESC", "UPLOADED_AT_ASC")],
)
async def test_cursor_of_one_ordering_is_rejected_by_the_other(
    api: Api, world: World, admin_token: str, made_with: str, used_with: str
) -> None:
    company = str(world.companies["a"])
    data = await api.data(
        ROOT_DOCUMENTS_ORDERED, {"company": company, "first": 3, "order": made_with}, admin_token
    )
    cursor = data["documents"]["pageInfo"]["endCursor"]

    status, body, _ = await api.post(
        ROOT_DOCUMENTS_ORDERED,
        {"company": company, "first": 3, "after": cursor, "order": used_with},
        admin_token,
    )

    _assert_bad_input(status, body, "documents", "after")


BAD_DOCUMENT_CURSORS = {
    "garbage": "garbage",
    "not-base64": "!!!***",
    "json-object": _cursor({"kind": "doc", "id": 1}),
    "too-short": _cursor(["doc", 1]),
    "too-long": _cursor(["doc", "2025-03-01T08:00:00+00:00", 1, 2]),
    "not-a-date": _cursor(["doc", "yesterday", 1]),
    "naive-datetime": _cursor(["doc", "2025-03-01T08:00:00", 1]),
    "id-as-string": _cursor(["doc", "2025-03-01T08:00:00+00:00", "1"]),
    "id-as-bool": _cursor(["doc", "2025-03-01T08:00:00+00:00", True]),
    "search-kind": _cursor(["rank", 0.5, 1]),
    "companies-kind": _cursor(["co", "Acme Test Holdings", 1]),
    "oversized": "A" * 600,
}


@pytest.mark.parametrize("cursor", BAD_DOCUMENT_CURSORS.values(), ids=BAD_DOCUMENT_CURSORS.keys())
async def test_malformed_document_cursor_is_bad_user_input(
    api: Api, world: World, admin_token: str, cursor: str
) -> None:
    status, body, _ = await api.post(
        ROOT_DOCUMENTS,
        {"company": str(world.companies["a"]), "first": 3, "after": cursor},
        admin_token,
    )
    _assert_bad_input(status, body, "documents", "after")


@pytest.mark.parametrize(
    "cursor", [BAD_DOCUMENT_CURSORS["garbage"], BAD_DOCUMENT_CURSORS["companies-kind"]]
)
async def test_malformed_cursor_on_nested_documents_nulls_the_parent(
    api: Api, world: World, admin_token: str, cursor: str
) -> None:
    status, body, _ = await api.post(
        NESTED_DOCUMENTS,
        {"company": str(world.companies["a"]), "first": 3, "after": cursor},
        admin_token,
    )
    _assert_bad_input(status, body, "company", "after")
    assert body["errors"][0]["path"] == ["company", "documents"]


async def test_companies_cursor_is_not_accepted_by_documents(
    api: Api, world: World, abc_token: str
) -> None:
    data = await api.data(COMPANIES, {"first": 1}, abc_token)
    cursor = data["companies"]["pageInfo"]["endCursor"]

    status, body, _ = await api.post(
        ROOT_DOCUMENTS,
        {"company": str(world.companies["a"]), "first": 3, "after": cursor},
        abc_token,
    )

    _assert_bad_input(status, body, "documents", "after")


async def test_documents_cursor_is_not_accepted_by_companies_or_ledger(
    api: Api, world: World, admin_token: str
) -> None:
    company = str(world.companies["a"])
    data = await api.data(ROOT_DOCUMENTS, {"company": company, "first": 1}, admin_token)
    cursor = data["documents"]["pageInfo"]["endCursor"]

    status, body, _ = await api.post(COMPANIES, {"first": 1, "after": cursor}, admin_token)
    _assert_bad_input(status, body, "companies", "after")

    status, body, _ = await api.post(
        ROOT_LEDGER, {"company": company, "first": 1, "after": cursor}, admin_token
    )
    _assert_bad_input(status, body, "ledgerEntries", "after")


PAGED_FIELDS = {
    "documents": (ROOT_DOCUMENTS, "documents"),
    "company.documents": (NESTED_DOCUMENTS, "company"),
    "ledgerEntries": (ROOT_LEDGER, "ledgerEntries"),
    "company.ledgerEntries": (NESTED_LEDGER, "company"),
}


@pytest.mark.parametrize("first", [101, 1000, -1])
@pytest.mark.parametrize(("query", "field"), PAGED_FIELDS.values(), ids=PAGED_FIELDS.keys())
async def test_first_outside_zero_to_cap_is_bad_user_input_naming_first(
    api: Api, world: World, admin_token: str, query: str, field: str, first: int
) -> None:
    status, body, _ = await api.post(
        query, {"company": str(world.companies["a"]), "first": first}, admin_token
    )
    _assert_bad_input(status, body, field, "first")


@pytest.mark.parametrize("first", [101, -1])
async def test_companies_first_outside_zero_to_cap_is_bad_user_input(
    api: Api, admin_token: str, first: int
) -> None:
    status, body, _ = await api.post(COMPANIES, {"first": first}, admin_token)
    _assert_bad_input(status, body, "companies", "first")


async def test_first_at_the_cap_is_accepted(api: Api, world: World, admin_token: str) -> None:
    data = await api.data(
        ROOT_DOCUMENTS, {"company": str(world.companies["a"]), "first": 100}, admin_token
    )
    assert _ids(data["documents"]["nodes"]) == world.documents["a"]


async def test_first_null_means_the_default_page_size(
    api: Api, world: World, admin_token: str
) -> None:
    data = await api.data(
        ROOT_DOCUMENTS, {"company": str(world.companies["a"]), "first": None}, admin_token
    )
    assert _ids(data["documents"]["nodes"]) == world.documents["a"][:20]
    assert data["documents"]["pageInfo"]["hasNextPage"] is True


async def test_total_count_follows_filters_on_root_and_nested_connections(
    api: Api, world: World, admin_token: str
) -> None:
    query = """
    query Counts($a: ID!, $b: ID!) {
      all: documents(filter: {companyId: $a}) { totalCount }
      invoices: documents(filter: {companyId: $a, documentType: "invoice"}) { totalCount }
      archived: documents(first: 1, filter: {companyId: $b, status: "archived"}) { totalCount }
      a: company(id: $a) {
        documents(first: 2) { totalCount }
        urgent: documents(first: 2, filter: {tag: "urgent"}) { totalCount }
        ledgerEntries(first: 1) { totalCount }
        approved: ledgerEntries(filter: {approvalStatus: "approved"}) { totalCount }
      }
      b: company(id: $b) {
        documents { totalCount }
        urgent: documents(filter: {tag: "urgent"}) { totalCount }
        ledgerEntries { totalCount }
      }
    }
    """
    data = await api.data(
        query, {"a": str(world.companies["a"]), "b": str(world.companies["b"])}, admin_token
    )

    assert data["all"]["totalCount"] == 25
    assert data["invoices"]["totalCount"] == 5  # i % 5 == 0 of 25
    assert data["archived"]["totalCount"] == 1  # i % 7 == 6 of 12
    assert data["a"] == {
        "documents": {"totalCount": 25},
        "urgent": {"totalCount": 7},  # i % 4 == 0 of 25
        "ledgerEntries": {"totalCount": 6},
        "approved": {"totalCount": 4},
    }
    assert data["b"] == {
        "documents": {"totalCount": 12},
        "urgent": {"totalCount": 3},
        "ledgerEntries": {"totalCount": 1},
    }


async def test_nested_pages_are_cut_per_company(api: Api, world: World, abc_token: str) -> None:
    query = """
    { companies { nodes { name
        documents(first: 10) { nodes { id } pageInfo { hasNextPage } totalCount } } } }
    """
    data = await api.data(query, None, abc_token)

    by_name = {c["name"]: c["documents"] for c in data["companies"]["nodes"]}
    assert list(by_name) == ["Acme Test Holdings", "Beta Partner Ltd", "Cedar Subsidiary"]
    for key, name, more, total in (
        ("a", "Acme Test Holdings", True, 25),
        ("b", "Beta Partner Ltd", True, 12),
        ("c", "Cedar Subsidiary", False, 3),
    ):
        assert _ids(by_name[name]["nodes"]) == world.documents[key][:10]
        assert by_name[name]["pageInfo"]["hasNextPage"] is more
        assert by_name[name]["totalCount"] == total


async def test_nested_cursor_applies_to_every_company_in_the_list(
    api: Api, world: World, abc_token: str
) -> None:
    """A cursor is a point in (uploaded_at, id): each company continues from that point."""
    first = await api.data(
        NESTED_DOCUMENTS, {"company": str(world.companies["a"]), "first": 10}, abc_token
    )
    cursor = first["company"]["documents"]["pageInfo"]["endCursor"]
    query = """
    query($after: String) { companies { nodes { name documents(first: 10, after: $after) {
        nodes { id } pageInfo { hasNextPage } } } } }
    """
    data = await api.data(query, {"after": cursor}, abc_token)

    by_name = {c["name"]: c["documents"] for c in data["companies"]["nodes"]}
    # a continues after its 10th newest; b and c were all uploaded later than that point
    assert _ids(by_name["Acme Test Holdings"]["nodes"]) == world.documents["a"][10:20]
    assert by_name["Beta Partner Ltd"]["nodes"] == []
    assert by_name["Cedar Subsidiary"]["nodes"] == []


@pytest.mark.parametrize(
    ("query", "path"),
    [(ROOT_LEDGER, ("ledgerEntries",)), (NESTED_LEDGER, ("company", "ledgerEntries"))],
    ids=["root", "nested"],
)
async def test_ledger_entries_walk_newest_transaction_first(
    api: Api, world: World, admin_token: str, query: str, path: tuple[str, ...]
) -> None:
    variables = {"company": str(world.companies["a"]), "first": 4}
    pages = await _walk(api, query, variables, admin_token, path)

    assert [len(page["nodes"]) for page in pages] == [4, 2]
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, False]
    walked = [i for page in pages for i in _ids(page["nodes"])]
    assert walked == list(reversed(world.ledger["a"]))
    assert [page["totalCount"] for page in pages] == [6, 6]
    assert pages[0]["edges"][-1]["cursor"] == pages[0]["pageInfo"]["endCursor"]


async def test_ledger_of_a_company_without_entries_is_empty(
    api: Api, world: World, admin_token: str
) -> None:
    data = await api.data(ROOT_LEDGER, {"company": str(world.companies["c"])}, admin_token)
    assert data["ledgerEntries"] == {
        "edges": [],
        "nodes": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "totalCount": 0,
    }


async def test_companies_are_paged_by_name_with_a_cursor(
    api: Api, world: World, abc_token: str
) -> None:
    pages = await _walk(api, COMPANIES, {"first": 2}, abc_token, ("companies",))

    assert [[node["name"] for node in page["nodes"]] for page in pages] == [
        ["Acme Test Holdings", "Beta Partner Ltd"],
        ["Cedar Subsidiary"],
    ]
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, False]
    walked = [int(node["id"]) for page in pages for node in page["nodes"]]
    assert walked == [world.companies[k] for k in ("a", "b", "c")]
    assert [page["totalCount"] for page in pages] == [3, 3]
    assert pages[0]["edges"][-1]["cursor"] == pages[0]["pageInfo"]["endCursor"]


async def test_companies_cursor_after_the_last_name_gives_an_empty_page(
    api: Api, abc_token: str
) -> None:
    data = await api.data(COMPANIES, {"first": 3}, abc_token)
    assert data["companies"]["pageInfo"]["hasNextPage"] is False
    cursor = data["companies"]["pageInfo"]["endCursor"]

    data = await api.data(COMPANIES, {"first": 3, "after": cursor}, abc_token)

    assert data["companies"]["nodes"] == []
    assert data["companies"]["pageInfo"] == {"hasNextPage": False, "endCursor": None}


async def test_cursor_with_an_id_beyond_bigint_is_bad_user_input(
    api: Api, admin_token: str
) -> None:
    from app.cursors import encode_cursor

    cursor = encode_cursor("doc", "2025-01-01T00:00:00+00:00", 2**64 - 1)
    status, body, _ = await api.post(
        "query($after: String) { documents(after: $after) { totalCount } }",
        {"after": cursor},
        admin_token,
    )
    assert status == 200
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
