"""Batched operations (a JSON array body): each runs on its own; the batch size is capped."""

from __future__ import annotations

import orjson

from app.config import Settings
from tests.conftest import Api
from tests.world import World


async def _batch(api: Api, payload: object, token: str | None = None) -> tuple[int, object]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = await api.client.post("/graphql", data=orjson.dumps(payload), headers=headers)
    return response.status, await response.json()


async def test_a_batch_answers_each_operation_in_order(
    api: Api, world: World, admin_token: str
) -> None:
    a = str(world.companies["a"])
    status, body = await _batch(
        api,
        [
            {"query": "query($id: ID!) { company(id: $id) { id } }", "variables": {"id": a}},
            {"query": "{ __typename }"},
        ],
        admin_token,
    )
    assert status == 200
    assert body == [{"data": {"company": {"id": a}}}, {"data": {"__typename": "Query"}}]


async def test_a_failing_operation_does_not_affect_the_others(api: Api, admin_token: str) -> None:
    status, body = await _batch(
        api,
        [{"query": "{ nope }"}, {"query": "{ __typename }"}, {"query": "{ __typename"}, {}],
        admin_token,
    )
    assert status == 200
    assert isinstance(body, list)
    codes = [[e["extensions"]["code"] for e in item.get("errors", [])] for item in body]
    assert codes == [["GRAPHQL_VALIDATION_FAILED"], [], ["GRAPHQL_PARSE_FAILED"], ["BAD_REQUEST"]]
    assert body[1] == {"data": {"__typename": "Query"}}


async def test_batch_over_the_cap_is_refused_whole(api: Api, settings: Settings) -> None:
    cap = settings.max_batch_operations
    status, body = await _batch(api, [{"query": "{ __typename }"}] * cap)
    assert status == 200
    status, body = await _batch(api, [{"query": "{ __typename }"}] * (cap + 1))
    assert status == 400
    assert isinstance(body, dict)
    assert body["errors"][0]["extensions"]["code"] == "BATCH_TOO_LARGE"


async def test_empty_or_malformed_batches_are_400(api: Api) -> None:
    for payload in ([], [{"query": "{ __typename }"}, 42]):
        status, body = await _batch(api, payload)
        assert status == 400
        assert isinstance(body, dict)
        assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
