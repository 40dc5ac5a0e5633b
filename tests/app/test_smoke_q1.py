"""Q1 and Q2 of DESIGN.md section 9 over real HTTP, with their round-trip counts."""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.world import World

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
query Q2($first: Int!) {
  companies(first: 10) {
    nodes { id name documents(first: $first) { nodes { id filename metadata { tags totalAmount } } } }
  }
}
"""


@pytest.mark.parametrize("first", [10, 100])
async def test_q1_costs_one_round_trip_at_any_page_size(
    api: Api, world: World, admin_token: str, first: int
) -> None:
    status, body, headers = await api.post(
        Q1, {"company": str(world.companies["a"]), "first": first}, admin_token
    )
    assert status == 200 and "errors" not in body, body
    nodes = body["data"]["documents"]["nodes"]
    assert [int(n["id"]) for n in nodes] == world.documents["a"][:first]
    assert {n["company"]["name"] for n in nodes} == {"Acme Test Holdings"}
    assert all(n["metadata"]["currency"] == "KES" for n in nodes)
    assert headers["X-DB-Round-Trips"] == "1"  # company and metadata joined


@pytest.mark.parametrize("first", [10, 100])
async def test_q2_costs_two_round_trips_at_any_page_size(
    api: Api, world: World, admin_token: str, first: int
) -> None:
    status, body, headers = await api.post(Q2, {"first": first}, admin_token)
    assert status == 200 and "errors" not in body, body
    by_name = {c["name"]: c for c in body["data"]["companies"]["nodes"]}
    acme = by_name["Acme Test Holdings"]["documents"]["nodes"]
    assert [int(d["id"]) for d in acme] == world.documents["a"][:first]
    assert headers["X-DB-Round-Trips"] == "2"  # companies; all pages with their metadata


async def test_naive_mode_issues_one_query_per_row(
    naive_api: Api, world: World, admin_token: str
) -> None:
    status, body, headers = await naive_api.post(
        Q1, {"company": str(world.companies["a"]), "first": 20}, admin_token
    )
    assert status == 200 and "errors" not in body, body
    assert len(body["data"]["documents"]["nodes"]) == 20
    # 1 page query + 20 company lookups + 20 metadata lookups
    assert headers["X-DB-Round-Trips"] == "41"
