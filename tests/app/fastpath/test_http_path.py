"""Over HTTP: Q1, Q2 and Q3 take the fast path, which joins their single-valued relations
(1, 2 and 1 round trips); VANTA_FASTPATH=off is stock (3 each), with the same answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from app.config import Settings
from tests.app.test_smoke_q1 import Q1, Q2
from tests.conftest import Api, start_api
from tests.world import World


@pytest.fixture(scope="module")
async def stock_api(settings: Settings, world: World) -> AsyncIterator[Api]:
    async for api in start_api(replace(settings, fastpath_enabled=False)):
        yield api


Q3 = """
query Q3($id: ID!) {
  document(id: $id) { id filename uploadedAt company { id name } metadata { tags totalAmount } }
}
"""


@pytest.mark.parametrize("first", [10, 100])
async def test_q1_q2_q3_take_the_fast_path_with_joined_relations(
    api: Api, stock_api: Api, world: World, admin_token: str, first: int
) -> None:
    cases = [
        (Q1, {"company": str(world.companies["a"]), "first": first}, "1"),
        (Q2, {"first": first}, "2"),
        (Q3, {"id": str(world.documents["a"][0])}, "1"),
    ]
    for query, variables, round_trips in cases:
        status, body, headers = await api.post(query, variables, admin_token)
        assert status == 200 and "errors" not in body, body
        assert headers["X-Execution-Path"] == "fast"
        assert headers["X-DB-Round-Trips"] == round_trips
        stock_status, stock_body, stock_headers = await stock_api.post(
            query, variables, admin_token
        )
        assert stock_headers["X-Execution-Path"] == "stock"
        assert stock_headers["X-DB-Round-Trips"] == "3"
        assert (status, body) == (stock_status, stock_body)


async def test_execution_path_header_only_in_debug_mode(
    settings: Settings, world: World, admin_token: str
) -> None:
    async for api in start_api(replace(settings, debug=False)):
        status, _, headers = await api.post(Q2, {"first": 1}, admin_token)
        assert status == 200
        assert "X-Execution-Path" not in headers


async def test_a_failing_fast_path_answers_with_stocks_error_over_http(
    api: Api, admin_token: str
) -> None:
    status, body, headers = await api.post(
        "{ companies(first: 1) { nodes { documents(first: 500) { totalCount } } } }",
        None,
        admin_token,
    )
    assert status == 200
    assert headers["X-Execution-Path"] == "stock"
    assert body["errors"][0]["path"] == ["companies", "nodes", 0, "documents"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
