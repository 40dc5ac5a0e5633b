"""Over HTTP: Q1 and Q2 take the fast path at 3 round trips; VANTA_FASTPATH=off is stock."""

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


@pytest.mark.parametrize("first", [10, 100])
async def test_q1_and_q2_take_the_fast_path_at_three_round_trips(
    api: Api, stock_api: Api, world: World, admin_token: str, first: int
) -> None:
    for query, variables in (
        (Q1, {"company": str(world.companies["a"]), "first": first}),
        (Q2, {"first": first}),
    ):
        status, body, headers = await api.post(query, variables, admin_token)
        assert status == 200 and "errors" not in body, body
        assert headers["X-Execution-Path"] == "fast"
        assert headers["X-DB-Round-Trips"] == "3"
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
