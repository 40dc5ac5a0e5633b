"""Round trips per request: bounded by nesting depth with loaders, one per row without.

Each count is checked twice: through stock execution (VANTA_FASTPATH=off), where every
relation is a DataLoader batch, and through the fast path, which joins a document's company,
metadata and project into the documents' own statement and so needs fewer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from app.config import Settings
from tests.conftest import Api, make_token, start_api
from tests.world import World


@pytest.fixture(scope="module")
async def stock_api(settings: Settings, world: World) -> AsyncIterator[Api]:
    async for api in start_api(replace(settings, fastpath_enabled=False)):
        yield api


@pytest.fixture(params=["stock", "fast"])
def mode(request: pytest.FixtureRequest, api: Api, stock_api: Api) -> tuple[str, Api]:
    return request.param, (stock_api if request.param == "stock" else api)


NESTED = """
query Nested($first: Int!) {
  companies {
    nodes {
      name
      documents(first: $first) {
        nodes { id company { name } project { name } metadata { tags } }
      }
      projects { name }
      relationships { relationshipType company { name } }
    }
  }
}
"""

SAME_COMPANY = """
query Same($company: ID!) {
  documents(first: 25, filter: {companyId: $company}) {
    nodes { id company { id name } }
  }
}
"""

LEDGER_WITH_SUMMARY = """
query Ledger {
  companies {
    nodes {
      name
      ledgerEntries(first: 2) { nodes { id amount company { name } } totalCount }
      documents(first: 2) { totalCount }
      financialSummary { net }
    }
  }
}
"""


@pytest.fixture(scope="module")
def abc_token(world: World) -> str:
    """A viewer of companies a, b and c only, so other tests' rows cannot change the counts."""
    return make_token("viewer", [world.companies[k] for k in ("a", "b", "c")])


async def _round_trips(
    api: Api, query: str, variables: dict[str, Any] | None, token: str
) -> tuple[int, dict[str, Any]]:
    status, body, headers = await api.post(query, variables, token)
    assert status == 200 and "errors" not in body, body
    return int(headers["X-DB-Round-Trips"]), body["data"]


@pytest.mark.parametrize("first", [3, 10])
async def test_nested_relations_cost_one_batch_per_relation_at_any_page_size(
    mode: tuple[str, Api], world: World, abc_token: str, first: int
) -> None:
    name, api = mode
    trips, data = await _round_trips(api, NESTED, {"first": first}, abc_token)

    # companies page, documents of all companies, their metadata, projects, relationships.
    # Document and relationship companies are primed from the page; world documents have
    # no project, so the project loader is never asked. The fast path joins the metadata.
    assert trips == {"stock": 5, "fast": 4}[name]
    nodes = data["companies"]["nodes"]
    assert [c["name"] for c in nodes] == [
        "Acme Test Holdings",
        "Beta Partner Ltd",
        "Cedar Subsidiary",
    ]
    for company, key in zip(nodes, ("a", "b", "c"), strict=True):
        docs = company["documents"]["nodes"]
        assert [int(d["id"]) for d in docs] == world.documents[key][:first]
        assert {d["company"]["name"] for d in docs} == {company["name"]}
        assert all(d["project"] is None and d["metadata"]["tags"] for d in docs)


async def test_nested_round_trips_do_not_grow_with_page_size(
    mode: tuple[str, Api], abc_token: str
) -> None:
    _, api = mode
    small, _ = await _round_trips(api, NESTED, {"first": 3}, abc_token)
    large, _ = await _round_trips(api, NESTED, {"first": 10}, abc_token)
    assert small == large


async def test_many_documents_of_one_company_load_it_once(
    mode: tuple[str, Api], world: World, admin_token: str
) -> None:
    name, api = mode
    trips, data = await _round_trips(
        api, SAME_COMPANY, {"company": str(world.companies["a"])}, admin_token
    )

    # the page, then one company lookup for all 25 documents (fast path: joined)
    assert trips == {"stock": 2, "fast": 1}[name]
    companies = {(n["company"]["id"], n["company"]["name"]) for n in data["documents"]["nodes"]}
    assert companies == {(str(world.companies["a"]), "Acme Test Holdings")}
    assert len(data["documents"]["nodes"]) == 25


async def test_documents_of_several_companies_batch_their_company_lookups(
    mode: tuple[str, Api], abc_token: str
) -> None:
    name, api = mode
    query = "{ documents(first: 40) { nodes { company { name } metadata { vendorName } } } }"
    trips, data = await _round_trips(api, query, None, abc_token)

    # page, one company batch (a, b, c), one metadata batch; the fast path joins both
    assert trips == {"stock": 3, "fast": 1}[name]
    names = [n["company"]["name"] for n in data["documents"]["nodes"]]
    assert (
        names == ["Cedar Subsidiary"] * 3 + ["Beta Partner Ltd"] * 12 + ["Acme Test Holdings"] * 25
    )


async def test_counts_pages_and_summaries_of_all_companies_are_batched(
    api: Api, abc_token: str
) -> None:
    trips, data = await _round_trips(api, LEDGER_WITH_SUMMARY, None, abc_token)

    # companies page; then ledger pages, ledger counts, document pages, document counts and
    # summaries, one batch each; ledger entry companies are primed from the page
    assert trips == 6
    by_name = {c["name"]: c for c in data["companies"]["nodes"]}
    assert by_name["Acme Test Holdings"]["ledgerEntries"]["totalCount"] == 6
    assert [e["amount"] for e in by_name["Acme Test Holdings"]["ledgerEntries"]["nodes"]] == [
        "50.00",
        "999.99",
    ]
    assert by_name["Beta Partner Ltd"]["financialSummary"] == {"net": "777.00"}
    assert by_name["Cedar Subsidiary"]["documents"] == {"totalCount": 3}


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        # 1 companies page + 3 document pages (one per company) + n metadata + n companies
        # + 3 project lists + 3 relationship lists + 6 related companies (2 per company),
        # where n = 3 + 3 + 3 documents for first: 3 and 10 + 10 + 3 for first: 10
        (3, 1 + 3 + 9 + 9 + 3 + 3 + 6),
        (10, 1 + 3 + 23 + 23 + 3 + 3 + 6),
    ],
)
async def test_naive_mode_costs_one_round_trip_per_row(
    naive_api: Api, abc_token: str, first: int, expected: int
) -> None:
    trips, _ = await _round_trips(naive_api, NESTED, {"first": first}, abc_token)
    assert trips == expected


async def test_naive_mode_looks_the_same_company_up_for_every_document(
    naive_api: Api, world: World, admin_token: str
) -> None:
    trips, _ = await _round_trips(
        naive_api, SAME_COMPANY, {"company": str(world.companies["a"])}, admin_token
    )
    assert trips == 1 + 25


COMPARED = {
    "nested-3": (NESTED, {"first": 3}),
    "nested-10": (NESTED, {"first": 10}),
    "ledger-and-summary": (LEDGER_WITH_SUMMARY, None),
    "root-documents": (
        """{ documents(first: 50) { nodes { id filename uploadedAt company { id name }
            metadata { tags totalAmount entities { label text } } }
            pageInfo { hasNextPage endCursor } totalCount } }""",
        None,
    ),
    "search": (
        """{ searchDocuments(query: "cement") { edges { cursor node { id company { name } } }
            totalCount } }""",
        None,
    ),
}


@pytest.mark.parametrize(("query", "variables"), COMPARED.values(), ids=COMPARED.keys())
async def test_loaders_change_round_trips_but_never_results(
    api: Api,
    naive_api: Api,
    abc_token: str,
    query: str,
    variables: dict[str, Any] | None,
) -> None:
    batched_trips, batched = await _round_trips(api, query, variables, abc_token)
    naive_trips, naive = await _round_trips(naive_api, query, variables, abc_token)

    assert naive == batched
    assert naive_trips > batched_trips
