"""DocumentFilter, CompanyFilter and LedgerFilter, and ranked full-text search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Api, make_token
from tests.world import TYPES_CYCLE, World

Predicate = Callable[[int], bool]

DOCUMENTS = """
query Docs($company: ID!, $filter: DocumentFilter!) {
  documents(first: 100, filter: $filter) { nodes { id } totalCount }
  company(id: $company) { documents(first: 100, filter: $filter) { nodes { id } totalCount } }
}
"""

COMPANIES = """
query Companies($filter: CompanyFilter) {
  companies(filter: $filter) { nodes { name } totalCount }
}
"""

LEDGER = """
query Ledger($company: ID!, $filter: LedgerFilter) {
  ledgerEntries(companyId: $company, filter: $filter) { nodes { id } totalCount }
  company(id: $company) { ledgerEntries(filter: $filter) { nodes { id } totalCount } }
}
"""

SEARCH = """
query Search($query: String!, $first: Int, $after: String, $filter: DocumentFilter) {
  searchDocuments(query: $query, first: $first, after: $after, filter: $filter) {
    nodes { id } pageInfo { hasNextPage endCursor } totalCount
  }
}
"""


@pytest.fixture(scope="module")
def abc_token(world: World) -> str:
    """A viewer of companies a, b and c only: rows other tests create stay invisible."""
    return make_token("viewer", [world.companies[k] for k in ("a", "b", "c")])


@pytest.fixture(scope="module")
def abcm_token(world: World) -> str:
    return make_token("viewer", [world.companies[k] for k in ("a", "b", "c", "m")])


def _by_position(world: World, key: str) -> list[int]:
    """Document ids of company ``key`` indexed by their position ``i`` in world.py."""
    return list(reversed(world.documents[key]))


def _where(world: World, key: str, predicate: Predicate) -> list[int]:
    """Ids of ``key``'s documents whose position satisfies ``predicate``, newest first."""
    return [
        doc_id for i, doc_id in reversed(list(enumerate(_by_position(world, key)))) if predicate(i)
    ]


def _ids(nodes: list[dict[str, Any]]) -> list[int]:
    return [int(node["id"]) for node in nodes]


def _error(body: dict[str, Any]) -> dict[str, Any]:
    """The one error, its ``requestId`` (on every error) checked and removed."""
    [error] = body["errors"]
    assert error["extensions"].pop("requestId")
    return error  # type: ignore[no-any-return]


# (filter, which positions i of company a match) — the rules of tests/world.py
DOCUMENT_FILTERS: dict[str, tuple[dict[str, Any], Predicate]] = {
    "type-invoice": ({"documentType": "invoice"}, lambda i: TYPES_CYCLE[i % 5] == "invoice"),
    "type-other": ({"documentType": "other"}, lambda i: TYPES_CYCLE[i % 5] == "other"),
    "type-none": ({"documentType": "tender"}, lambda i: False),
    "status-archived": ({"status": "archived"}, lambda i: i % 7 == 6),
    "status-active": ({"status": "active"}, lambda i: i % 7 != 6),
    "status-draft": ({"status": "draft"}, lambda i: False),
    "processing-pending": ({"processingStatus": "pending"}, lambda i: i in (3, 4)),
    "processing-processed": ({"processingStatus": "processed"}, lambda i: i not in (3, 4)),
    "processing-failed": ({"processingStatus": "failed"}, lambda i: False),
    "tag-urgent": ({"tag": "urgent"}, lambda i: i % 4 == 0),
    "tag-receipt": ({"tag": "receipt"}, lambda i: i % 5 == 1),
    "tag-padded": ({"tag": "  urgent "}, lambda i: i % 4 == 0),
    "tag-unknown": ({"tag": "nope"}, lambda i: False),
    # uploaded_at = 2025-03-01T08:00Z + i hours; 21:00+03:00 is 18:00Z, i.e. i = 10
    "after-offset": ({"uploadedAfter": "2025-03-01T21:00:00+03:00"}, lambda i: i >= 10),
    "before-utc": ({"uploadedBefore": "2025-03-01T13:00:00Z"}, lambda i: i < 5),
    "between": (
        {"uploadedAfter": "2025-03-01T18:00:00Z", "uploadedBefore": "2025-03-01T23:00:00Z"},
        lambda i: 10 <= i < 15,
    ),
    "before-negative-offset": (
        {"uploadedBefore": "2025-03-01T05:30:00-05:00"},  # 10:30Z: i = 0, 1, 2
        lambda i: i <= 2,
    ),
    "invoice-urgent": ({"documentType": "invoice", "tag": "urgent"}, lambda i: i in (0, 20)),
    "invoice-urgent-active": (
        {"documentType": "invoice", "tag": "urgent", "status": "active"},
        lambda i: i == 0,
    ),
    "receipt-processed-after": (
        {
            "documentType": "receipt",
            "processingStatus": "processed",
            "uploadedAfter": "2025-03-01T15:00:00Z",
        },
        lambda i: i % 5 == 1 and i >= 7,
    ),
}


@pytest.mark.parametrize(
    ("extra", "predicate"), DOCUMENT_FILTERS.values(), ids=DOCUMENT_FILTERS.keys()
)
async def test_document_filter_selects_exactly_the_matching_documents(
    api: Api, world: World, admin_token: str, extra: dict[str, Any], predicate: Predicate
) -> None:
    company = str(world.companies["a"])
    data = await api.data(
        DOCUMENTS, {"company": company, "filter": {"companyId": company, **extra}}, admin_token
    )

    expected = _where(world, "a", predicate)
    for connection in (data["documents"], data["company"]["documents"]):
        assert _ids(connection["nodes"]) == expected
        assert connection["totalCount"] == len(expected)


async def test_filter_without_company_spans_every_visible_company(
    api: Api, world: World, abc_token: str
) -> None:
    query = """{ documents(first: 100, filter: {documentType: "contract"}) {
        nodes { id } totalCount } }"""
    data = await api.data(query, None, abc_token)

    # newest first across companies: c was uploaded last, then b, then a
    expected = [
        doc_id
        for key in ("c", "b", "a")
        for doc_id in _where(world, key, lambda i: TYPES_CYCLE[i % 5] == "contract")
    ]
    assert _ids(data["documents"]["nodes"]) == expected
    assert data["documents"]["totalCount"] == 5 + 2 + 1


async def test_nested_filter_with_another_company_id_is_empty(
    api: Api, world: World, admin_token: str
) -> None:
    query = """query($a: ID!, $b: ID!) { company(id: $a) {
        documents(filter: {companyId: $b}) { nodes { id } totalCount } } }"""
    data = await api.data(
        query, {"a": str(world.companies["a"]), "b": str(world.companies["b"])}, admin_token
    )
    assert data["company"]["documents"] == {"nodes": [], "totalCount": 0}


@pytest.mark.parametrize(
    ("extra", "argument"),
    [
        ({"documentType": "memo"}, "filter.documentType"),
        ({"documentType": "INVOICE"}, "filter.documentType"),
        ({"status": "deleted"}, "filter.status"),
        ({"processingStatus": "done"}, "filter.processingStatus"),
        ({"uploadedAfter": "2025-03-01T08:00:00"}, "filter.uploadedAfter"),
        ({"uploadedBefore": "2025-03-01T08:00:00"}, "filter.uploadedBefore"),
        ({"companyId": "abc"}, "filter.companyId"),
    ],
)
async def test_invalid_document_filter_value_is_bad_user_input(
    api: Api, world: World, admin_token: str, extra: dict[str, Any], argument: str
) -> None:
    company = str(world.companies["a"])
    status, body, _ = await api.post(
        DOCUMENTS, {"company": company, "filter": {"companyId": company, **extra}}, admin_token
    )

    assert status == 200, body
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == {"BAD_USER_INPUT"}, body
    assert {e["extensions"]["argument"] for e in body["errors"]} == {argument}
    assert body["data"] is None


async def test_datetime_that_does_not_parse_is_rejected_before_execution(
    api: Api, admin_token: str
) -> None:
    query = '{ documents(filter: {uploadedAfter: "yesterday"}) { nodes { id } } }'
    status, body, headers = await api.post(query, None, admin_token)

    assert status == 200  # a request error, answered as application/json
    assert _error(body)["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert headers["X-DB-Round-Trips"] == "0"


COMPANY_FILTERS: dict[str, tuple[dict[str, Any] | None, list[str]]] = {
    "none": (None, ["Acme Test Holdings", "Beta Partner Ltd", "Cedar Subsidiary", "Mutable Co"]),
    "inactive": ({"status": "inactive"}, ["Cedar Subsidiary"]),
    "active": ({"status": "active"}, ["Acme Test Holdings", "Beta Partner Ltd", "Mutable Co"]),
    "archived": ({"status": "archived"}, []),
    "core-family": ({"companyType": "CORE_FAMILY"}, ["Acme Test Holdings", "Mutable Co"]),
    "partner": ({"companyType": "BUSINESS_PARTNER"}, ["Beta Partner Ltd"]),
    "subsidiary": ({"companyType": "SUBSIDIARY"}, ["Cedar Subsidiary"]),
    "search-case-insensitive": ({"search": "partner"}, ["Beta Partner Ltd"]),
    "search-substring": ({"search": "t"}, ["Acme Test Holdings", "Beta Partner Ltd", "Mutable Co"]),
    "search-padded": ({"search": "  cedar  "}, ["Cedar Subsidiary"]),
    "search-with-space": ({"search": "Test Holdings"}, ["Acme Test Holdings"]),
    "search-percent-is-literal": ({"search": "Acme%Holdings"}, []),
    "search-lone-percent": ({"search": "%"}, []),
    "search-underscore-is-literal": ({"search": "Test_Holdings"}, []),
    "search-lone-underscore": ({"search": "_"}, []),
    "search-backslash": ({"search": "\\"}, []),
    "combined": (
        {"status": "active", "companyType": "CORE_FAMILY", "search": "co"},
        ["Mutable Co"],
    ),
}


@pytest.mark.parametrize(("filter_", "names"), COMPANY_FILTERS.values(), ids=COMPANY_FILTERS.keys())
async def test_company_filter_selects_exactly_the_matching_companies_by_name(
    api: Api, abcm_token: str, filter_: dict[str, Any] | None, names: list[str]
) -> None:
    data = await api.data(COMPANIES, {"filter": filter_}, abcm_token)

    assert [node["name"] for node in data["companies"]["nodes"]] == names
    assert data["companies"]["totalCount"] == len(names)


async def test_company_type_is_returned_as_the_enum_name(
    api: Api, world: World, admin_token: str
) -> None:
    query = "query($id: ID!) { company(id: $id) { companyType status } }"
    data = await api.data(query, {"id": str(world.companies["b"])}, admin_token)
    assert data["company"] == {"companyType": "BUSINESS_PARTNER", "status": "active"}


async def test_unknown_company_status_is_bad_user_input(api: Api, abcm_token: str) -> None:
    status, body, _ = await api.post(COMPANIES, {"filter": {"status": "gone"}}, abcm_token)

    assert status == 200
    assert _error(body)["extensions"] == {"code": "BAD_USER_INPUT", "argument": "filter.status"}
    assert body["data"] is None


async def test_unknown_company_type_literal_fails_validation_as_a_request_error(
    api: Api, admin_token: str
) -> None:
    query = "{ companies(filter: {companyType: NOPE}) { nodes { id } } }"
    status, body, headers = await api.post(query, None, admin_token)

    assert status == 200  # a request error, answered as application/json
    assert _error(body)["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "data" not in body
    assert headers["X-DB-Round-Trips"] == "0"


async def test_unknown_company_type_variable_is_a_request_error(api: Api, admin_token: str) -> None:
    status, body, headers = await api.post(
        COMPANIES, {"filter": {"companyType": "NOPE"}}, admin_token
    )

    # variable coercion fails before execution: no "data" (GraphQL over HTTP; 200 as JSON)
    assert status == 200
    assert _error(body)["extensions"]["code"] == "BAD_USER_INPUT"
    assert "data" not in body
    assert headers["X-DB-Round-Trips"] == "0"


LEDGER_FILTERS: dict[str, tuple[dict[str, Any] | None, list[int]]] = {
    # positions in world.ledger["a"]; results are newest transaction first
    "none": (None, [5, 4, 3, 2, 1, 0]),
    "income": ({"entryType": "income"}, [4, 1, 0]),
    "expense": ({"entryType": "expense"}, [5, 2]),
    "loan": ({"entryType": "loan"}, []),
    "approved": ({"approvalStatus": "approved"}, [3, 2, 1, 0]),
    "pending": ({"approvalStatus": "pending"}, [4]),
    "rejected": ({"approvalStatus": "rejected"}, [5]),
    "inclusive-range": ({"from": "2025-02-10", "to": "2025-03-01"}, [3, 2, 1]),
    "from-only": ({"from": "2025-03-02"}, [5, 4]),
    "to-only": ({"to": "2025-01-10"}, [0]),
    "empty-range": ({"from": "2025-01-11", "to": "2025-02-09"}, []),
    "approved-income-in-range": (
        {"entryType": "income", "approvalStatus": "approved", "from": "2025-02-01"},
        [1],
    ),
}


@pytest.mark.parametrize(
    ("filter_", "positions"), LEDGER_FILTERS.values(), ids=LEDGER_FILTERS.keys()
)
async def test_ledger_filter_selects_exactly_the_matching_entries(
    api: Api,
    world: World,
    admin_token: str,
    filter_: dict[str, Any] | None,
    positions: list[int],
) -> None:
    data = await api.data(
        LEDGER, {"company": str(world.companies["a"]), "filter": filter_}, admin_token
    )

    expected = [world.ledger["a"][p] for p in positions]
    for connection in (data["ledgerEntries"], data["company"]["ledgerEntries"]):
        assert _ids(connection["nodes"]) == expected
        assert connection["totalCount"] == len(expected)


@pytest.mark.parametrize(
    ("filter_", "argument"),
    [
        ({"entryType": "gift"}, "filter.entryType"),
        ({"approvalStatus": "maybe"}, "filter.approvalStatus"),
        ({"from": "2025-03-01", "to": "2025-02-01"}, "filter.from"),
    ],
)
async def test_invalid_ledger_filter_value_is_bad_user_input(
    api: Api, world: World, admin_token: str, filter_: dict[str, Any], argument: str
) -> None:
    status, body, _ = await api.post(
        LEDGER, {"company": str(world.companies["a"]), "filter": filter_}, admin_token
    )

    assert status == 200
    assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}
    assert {e["extensions"]["argument"] for e in body["errors"]} == {argument}
    assert body["data"] is None


def _cement_ranked(world: World, keys: tuple[str, ...]) -> list[int]:
    """Expected search order: the i == 10 documents (cement repeated) first, then the rest;
    equal ranks are ordered by id, highest first."""
    repeated = {_by_position(world, key)[10] for key in keys if len(world.documents[key]) > 10}
    others = {doc_id for key in keys for doc_id in world.cement_documents[key]} - repeated
    return sorted(repeated, reverse=True) + sorted(others, reverse=True)


async def test_search_returns_the_visible_cement_documents_best_match_first(
    api: Api, world: World, abc_token: str
) -> None:
    data = await api.data(SEARCH, {"query": "cement", "first": 100}, abc_token)

    expected = _cement_ranked(world, ("a", "b", "c"))
    assert len(expected) == 5 + 3 + 1
    assert _ids(data["searchDocuments"]["nodes"]) == expected
    assert data["searchDocuments"]["totalCount"] == 9
    assert data["searchDocuments"]["pageInfo"]["hasNextPage"] is False


async def test_search_for_one_company_ranks_the_repeated_cement_document_first(
    api: Api, world: World
) -> None:
    token = make_token("viewer", [world.companies["a"]])
    data = await api.data(SEARCH, {"query": "Cement", "first": 100}, token)

    ids = _ids(data["searchDocuments"]["nodes"])
    assert ids[0] == _by_position(world, "a")[10]
    assert ids == _cement_ranked(world, ("a",))


async def test_search_with_company_filter_keeps_only_that_company(
    api: Api, world: World, admin_token: str
) -> None:
    variables = {
        "query": "cement",
        "first": 100,
        "filter": {"companyId": str(world.companies["b"])},
    }
    data = await api.data(SEARCH, variables, admin_token)

    assert _ids(data["searchDocuments"]["nodes"]) == _cement_ranked(world, ("b",))
    assert data["searchDocuments"]["totalCount"] == 3


async def test_search_with_company_filter_outside_the_token_is_empty(
    api: Api, world: World, abc_token: str
) -> None:
    variables = {"query": "cement", "filter": {"companyId": str(world.companies["m"])}}
    data = await api.data(SEARCH, variables, abc_token)
    assert data["searchDocuments"] == {
        "nodes": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "totalCount": 0,
    }


async def test_search_combines_with_document_filters(
    api: Api, world: World, abc_token: str
) -> None:
    variables = {"query": "cement", "first": 100, "filter": {"tag": "urgent"}}
    data = await api.data(SEARCH, variables, abc_token)

    # cement documents are i % 5 == 0; urgent ones i % 4 == 0: i in (0, 20)
    a, b, c = (_by_position(world, key) for key in ("a", "b", "c"))
    expected = sorted([a[0], a[20], b[0], c[0]], reverse=True)
    assert _ids(data["searchDocuments"]["nodes"]) == expected
    assert data["searchDocuments"]["totalCount"] == 4


async def test_search_pages_with_cursors_give_the_same_results_without_duplicates(
    api: Api, world: World, abc_token: str
) -> None:
    walked: list[int] = []
    more: list[bool] = []
    after: str | None = None
    while True:
        data = await api.data(SEARCH, {"query": "cement", "first": 2, "after": after}, abc_token)
        page = data["searchDocuments"]
        walked += _ids(page["nodes"])
        more.append(page["pageInfo"]["hasNextPage"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert len(more) < 10, "search pagination does not terminate"
        after = page["pageInfo"]["endCursor"]

    assert walked == _cement_ranked(world, ("a", "b", "c"))
    assert len(set(walked)) == len(walked) == 9
    assert more == [True, True, True, True, False]


async def test_search_without_matches_is_empty(api: Api, abc_token: str) -> None:
    data = await api.data(SEARCH, {"query": "zyzzyva"}, abc_token)
    assert data["searchDocuments"]["nodes"] == []
    assert data["searchDocuments"]["totalCount"] == 0


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
async def test_blank_search_query_is_bad_user_input(api: Api, abc_token: str, query: str) -> None:
    status, body, _ = await api.post(SEARCH, {"query": query}, abc_token)

    assert status == 200
    assert _error(body)["extensions"] == {"code": "BAD_USER_INPUT", "argument": "query"}
    assert body["data"] is None


async def test_document_cursor_is_not_accepted_by_search(
    api: Api, world: World, admin_token: str
) -> None:
    query = (
        "query($c: ID!) { documents(first: 1, filter: {companyId: $c}) { pageInfo { endCursor } } }"
    )
    data = await api.data(query, {"c": str(world.companies["a"])}, admin_token)
    cursor = data["documents"]["pageInfo"]["endCursor"]

    status, body, _ = await api.post(SEARCH, {"query": "cement", "after": cursor}, admin_token)

    assert status == 200
    assert _error(body)["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}
    assert body["data"] is None


@pytest.mark.parametrize(
    ("query", "argument"),
    [
        ('{ searchDocuments(query: "cement\\u0000") { totalCount } }', "query"),
        ('{ documents(filter: {tag: "a\\u0000"}) { totalCount } }', "filter.tag"),
        ('{ companies(filter: {search: "a\\u0000"}) { totalCount } }', "filter.search"),
    ],
)
async def test_nul_characters_in_text_arguments_are_bad_user_input(
    api: Api, admin_token: str, query: str, argument: str
) -> None:
    status, body, _ = await api.post(query, None, admin_token)
    assert status == 200
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["argument"] == argument
