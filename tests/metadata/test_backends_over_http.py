"""The same data behind either metadata backend gives the same GraphQL answers over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, make_token
from tests.metadata.conftest import DualWorld

Q1 = """
query Q1($company: ID!, $first: Int!) {
  documents(first: $first, filter: {companyId: $company}) {
    nodes { id filename documentType category status fileSize uploadedAt
      company { id name }
      metadata { tags classification invoiceNumber vendorName totalAmount currency } }
  }
}
"""
Q2 = """
query Q2 { companies(first: 10) { nodes { id name
  documents(first: 10) { nodes { id metadata { tags totalAmount summary riskScore
    keywords entities { label text start end } } } } } } }
"""
TAGGED = """
query Tagged($tag: String!) {
  documents(first: 100, filter: {tag: $tag}) { totalCount nodes { id metadata { tags } } }
  companies(first: 10) { nodes { name documents(first: 5, filter: {tag: $tag}) {
    totalCount nodes { id } } } }
}
"""
SEARCH = """
query Search($query: String!, $first: Int!, $after: String, $filter: DocumentFilter) {
  searchDocuments(query: $query, first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id metadata { vendorName } }
  }
}
"""


def _abc(dual: DualWorld) -> str:
    return make_token("viewer", [dual.world.companies[k] for k in ("a", "b", "c")])


async def _both(dual: DualWorld, pg: Api, mongo: Api, query: str, variables: Any) -> tuple:
    token = _abc(dual)
    pg_status, pg_body, pg_headers = await pg.post(query, variables, token)
    mg_status, mg_body, mg_headers = await mongo.post(query, variables, token)
    assert pg_status == mg_status == 200
    assert "errors" not in pg_body and "errors" not in mg_body, (pg_body, mg_body)
    return pg_body, mg_body, pg_headers["X-DB-Round-Trips"], mg_headers["X-DB-Round-Trips"]


@pytest.mark.parametrize("first", [10, 100])
async def test_q1_is_identical_json_with_metadata_joined_only_in_postgres(
    dual: DualWorld, pg_dual_api: Api, mongo_dual_api: Api, first: int
) -> None:
    variables = {"company": str(dual.world.companies["a"]), "first": first}
    pg, mongo, pg_trips, mongo_trips = await _both(dual, pg_dual_api, mongo_dual_api, Q1, variables)
    assert pg == mongo
    nodes = mongo["data"]["documents"]["nodes"]
    assert [int(n["id"]) for n in nodes] == dual.world.documents["a"][:first]
    assert all(n["metadata"]["currency"] == "KES" for n in nodes)
    assert nodes[0]["metadata"]["totalAmount"] == "124.50"
    # The fast path joins company and metadata into one statement; metadata in MongoDB is
    # never joined, so that backend adds its own fetch.
    assert (pg_trips, mongo_trips) == ("1", "2")


async def test_q2_with_every_metadata_field_is_identical(
    dual: DualWorld, pg_dual_api: Api, mongo_dual_api: Api
) -> None:
    pg, mongo, pg_trips, mongo_trips = await _both(dual, pg_dual_api, mongo_dual_api, Q2, None)
    assert pg == mongo
    entities = [
        e
        for c in pg["data"]["companies"]["nodes"]
        for d in c["documents"]["nodes"]
        for e in d["metadata"]["entities"]
    ]
    assert entities, "the world has entities, so this compares some"
    # companies, their documents, metadata, and entities (read apart, only when selected)
    assert pg_trips == mongo_trips == "4"


@pytest.mark.parametrize("tag", ["urgent", "receipt", "nope"])
async def test_tag_filter_gives_the_same_documents(
    dual: DualWorld, pg_dual_api: Api, mongo_dual_api: Api, tag: str
) -> None:
    pg, mongo, _, _ = await _both(dual, pg_dual_api, mongo_dual_api, TAGGED, {"tag": tag})
    assert pg == mongo
    if tag == "urgent":
        ids = [int(n["id"]) for n in mongo["data"]["documents"]["nodes"]]
        assert ids and all(
            "urgent" in n["metadata"]["tags"] for n in mongo["data"]["documents"]["nodes"]
        )
        assert len(ids) == mongo["data"]["documents"]["totalCount"]


async def test_search_finds_the_same_documents_best_match_first(
    dual: DualWorld, pg_dual_api: Api, mongo_dual_api: Api
) -> None:
    variables = {"query": "cement", "first": 100}
    pg, mongo, _, _ = await _both(dual, pg_dual_api, mongo_dual_api, SEARCH, variables)
    pg_ids = [int(n["id"]) for n in pg["data"]["searchDocuments"]["nodes"]]
    mongo_ids = [int(n["id"]) for n in mongo["data"]["searchDocuments"]["nodes"]]
    assert sorted(pg_ids) == sorted(mongo_ids)
    assert mongo["data"]["searchDocuments"]["totalCount"] == len(mongo_ids) == 9
    # "cement" five times: the best match in both backends
    best = {dual.world.documents[k][len(dual.world.documents[k]) - 1 - 10] for k in ("a", "b")}
    assert set(mongo_ids[:2]) == best == set(pg_ids[:2])


async def test_search_pages_cover_every_match_once_with_either_backend(
    dual: DualWorld, pg_dual_api: Api, mongo_dual_api: Api
) -> None:
    token = _abc(dual)
    for api in (pg_dual_api, mongo_dual_api):
        seen: list[int] = []
        after = None
        for _ in range(10):
            variables = {"query": "cement", "first": 2, "after": after}
            page = (await api.data(SEARCH, variables, token))["searchDocuments"]
            seen += [int(n["id"]) for n in page["nodes"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert len(seen) == len(set(seen)) == 9


async def test_search_combines_tag_and_document_filters_the_same_way(
    dual: DualWorld, pg_dual_api: Api, mongo_dual_api: Api
) -> None:
    for flt in (
        {"tag": "urgent"},
        {"documentType": "invoice"},
        {"companyId": str(dual.world.companies["b"])},
    ):
        variables = {"query": "cement", "first": 100, "filter": flt}
        pg, mongo, _, _ = await _both(dual, pg_dual_api, mongo_dual_api, SEARCH, variables)
        pg_ids = sorted(int(n["id"]) for n in pg["data"]["searchDocuments"]["nodes"])
        mongo_ids = sorted(int(n["id"]) for n in mongo["data"]["searchDocuments"]["nodes"])
        assert pg_ids == mongo_ids, flt
        assert (
            pg["data"]["searchDocuments"]["totalCount"]
            == mongo["data"]["searchDocuments"]["totalCount"]
            == len(mongo_ids)
        )


STATISTICS = """
query Stats($company: ID) {
  documentStatistics(companyId: $company) { total
    byClassification { key count } byTag { key count } }
}
"""


@pytest.mark.parametrize("company", [None, "a", "b"])
async def test_metadata_statistics_agree_and_stay_inside_the_token(
    dual: DualWorld, pg_dual_api: Api, mongo_dual_api: Api, company: str | None
) -> None:
    variables = {"company": None if company is None else str(dual.world.companies[company])}
    pg, mongo, pg_trips, mongo_trips = await _both(
        dual, pg_dual_api, mongo_dual_api, STATISTICS, variables
    )
    assert pg == mongo
    assert pg_trips == mongo_trips == "2"  # the document counts, then one metadata aggregation
    stats = mongo["data"]["documentStatistics"]
    expected = {"a": 25, "b": 12, None: 25 + 12 + 3}[company]  # a, b, c: never Mutable Co
    assert stats["byClassification"] == [{"key": "internal", "count": expected}]
    tags = {bucket["key"]: bucket["count"] for bucket in stats["byTag"]}
    assert tags["urgent"] == {"a": 7, "b": 3, None: 7 + 3 + 1}[company]


async def test_metadata_statistics_of_an_invisible_company_are_empty(
    dual: DualWorld, mongo_dual_api: Api
) -> None:
    variables = {"company": str(dual.world.companies["m"])}
    data = await mongo_dual_api.data(STATISTICS, variables, _abc(dual))
    assert data["documentStatistics"] == {"total": 0, "byClassification": [], "byTag": []}
