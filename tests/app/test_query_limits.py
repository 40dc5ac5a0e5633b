"""Query limits: each just under and just over, refused before execution with a stable code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from graphql import parse, validate

from app.config import Settings
from app.server import create_app
from schema.build import build_schema
from schema.limits import QueryLimits, limit_rules
from schema.prepared import UsePreparedDocument
from tests.conftest import Api, make_token
from tests.world import World

LIMITS = {
    "max_query_depth": 5,
    "max_aliases": 2,
    "max_tokens": 40,
    "max_query_cost": 50,
    "max_batch_operations": 2,
    "max_body_bytes": 4096,
}
DEPTH_5 = "{ companies { nodes { documents { nodes { id } } } } }"
DEPTH_6 = (
    "{ companies(first: 1) { nodes { documents(first: 1) { nodes { metadata { tags } } } } } }"
)


@pytest.fixture(scope="module")
async def client(settings: Settings, world: World) -> AsyncIterator[TestClient]:
    client = TestClient(TestServer(create_app(replace(settings, **LIMITS))))
    await client.start_server()
    yield client
    await client.close()


async def _post(
    client: TestClient, query: str, variables: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any], Any]:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    headers = {"Authorization": f"Bearer {make_token()}"}
    response = await client.post("/graphql", json=body, headers=headers)
    return response.status, await response.json(), response.headers


def _codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def _refused(client: TestClient, query: str, code: str, **kwargs: Any) -> dict[str, Any]:
    status, body, headers = await _post(client, query, **kwargs)
    assert status == 200, body  # a request error answered as application/json
    assert _codes(body) == [code]
    assert "data" not in body
    assert headers["X-DB-Round-Trips"] == "0"  # refused before anything executed
    return body


async def _accepted(client: TestClient, query: str, **kwargs: Any) -> None:
    status, body, _ = await _post(client, query, **kwargs)
    assert status == 200 and "errors" not in body, body


async def test_depth_at_the_limit_runs_and_one_deeper_is_refused(client: TestClient) -> None:
    await _accepted(
        client, "{ companies(first: 2) { nodes { documents(first: 1) { nodes { id } } } } }"
    )
    body = await _refused(client, DEPTH_6, "QUERY_TOO_DEEP")
    assert body["errors"][0]["message"] == "Query depth 6 exceeds the limit of 5."


async def test_depth_counts_through_fragments(client: TestClient) -> None:
    query = (
        "{ companies(first: 1) { nodes { ...C } } } "
        "fragment C on Company { documents(first: 1) { nodes { metadata { tags } } } }"
    )
    await _refused(client, query, "QUERY_TOO_DEEP")


async def test_aliases_at_the_limit_run_and_one_more_is_refused(client: TestClient) -> None:
    await _accepted(client, "{ a: __typename b: __typename }")
    body = await _refused(
        client, "{ a: __typename b: __typename c: __typename }", "TOO_MANY_ALIASES"
    )
    assert body["errors"][0]["message"] == "3 aliases found; the limit is 2."


async def test_tokens_at_the_limit_parse_and_more_are_refused(client: TestClient) -> None:
    at_limit = "{ " + "__typename " * 38 + "}"  # 40 tokens
    await _accepted(client, at_limit)
    await _refused(client, "{ " + "__typename " * 39 + "}", "TOO_MANY_TOKENS")


async def test_cost_multiplies_by_first(client: TestClient) -> None:
    # cost = companies 1 + first x (nodes 1 + id 1 + name 1)
    await _accepted(client, "{ companies(first: 16) { nodes { id name } } }")  # 49
    body = await _refused(
        client, "{ companies(first: 17) { nodes { id name } } }", "QUERY_TOO_COSTLY"
    )
    assert body["errors"][0]["message"].startswith("Query cost 52 exceeds the limit of 50")


async def test_nested_lists_multiply(client: TestClient) -> None:
    # companies 1 + 4 x (nodes 1 + documents (1 + 4 x (nodes 1 + id 1))) = 41
    await _accepted(
        client, "{ companies(first: 4) { nodes { documents(first: 4) { nodes { id } } } } }"
    )
    await _refused(
        client,
        "{ companies(first: 4) { nodes { documents(first: 6) { nodes { id } } } } }",  # 57
        "QUERY_TOO_COSTLY",
    )


async def test_cost_prices_first_from_a_variable_at_the_largest_page(client: TestClient) -> None:
    query = "query($n: Int) { companies(first: $n) { nodes { id name } } }"
    await _refused(client, query, "QUERY_TOO_COSTLY", variables={"n": 1})  # priced at 100
    # A declared default does not lower the price: the client may send any value up to the cap.
    with_default = "query($n: Int = 1) { companies(first: $n) { nodes { id name } } }"
    await _refused(client, with_default, "QUERY_TOO_COSTLY", variables={"n": 100})
    await _refused(client, with_default, "QUERY_TOO_COSTLY")


async def test_cost_uses_the_schema_default_when_first_is_absent(client: TestClient) -> None:
    await _refused(client, "{ companies { nodes { id name } } }", "QUERY_TOO_COSTLY")  # 20 x 3


def test_limits_are_validation_rules_any_executor_gets() -> None:
    """The rules run in graphql-core validation itself: no resolver or executor involved."""
    schema = build_schema(Settings(max_query_depth=5, max_aliases=2, max_query_cost=50))
    rules = schema.query_rules
    errors = validate(schema._schema, parse(DEPTH_6.replace("first: 1", "first: 9")), rules)
    assert [e.extensions["code"] for e in errors if e.extensions] == [
        "QUERY_TOO_DEEP",
        "QUERY_TOO_COSTLY",
    ]
    assert validate(schema._schema, parse("{ companies(first: 2) { nodes { id } } }"), rules) == []
    assert schema.max_tokens == Settings().max_tokens


def test_rule_classes_are_built_once_per_schema() -> None:
    """Stock execution's fallback validation gets the schema's own rule classes every time."""
    schema = build_schema(Settings())

    def rules_of_one_request() -> tuple[object, ...]:
        for factory in schema.extensions:
            extension = factory()  # type: ignore[operator]
            if isinstance(extension, UsePreparedDocument):
                return extension.rules
        raise AssertionError("no UsePreparedDocument extension")

    assert rules_of_one_request() == rules_of_one_request() == schema.query_rules
    assert limit_rules(QueryLimits()) != limit_rules(QueryLimits())  # fresh classes per call


async def test_introspection_is_off_in_production(settings: Settings, world: World) -> None:
    query = "{ __schema { queryType { name } } }"
    production = TestClient(TestServer(create_app(replace(settings, environment="production"))))
    await production.start_server()
    try:
        response = await production.post("/graphql", json={"query": query})
        body = await response.json()
        assert response.status == 200 and "data" not in body  # a request error, as JSON
        assert set(_codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
        assert "introspection" in body["errors"][0]["message"].lower()
        typename = await production.post("/graphql", json={"query": "{ __typename }"})
        assert await typename.json() == {"data": {"__typename": "Query"}}
    finally:
        await production.close()


async def test_introspection_is_on_outside_production(client: TestClient) -> None:
    status, body, _ = await _post(client, "{ __schema { queryType { name } } }")
    assert status == 200
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_body_size_limit_follows_the_setting(client: TestClient) -> None:
    padding = " " * 3900  # whitespace is not a token
    response = await client.post(
        "/graphql",
        data=f'{{"query": "{{ __typename }}{padding}"}}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 200
    response = await client.post(
        "/graphql",
        data=f'{{"query": "{{ __typename }}{padding * 2}"}}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 413
    assert _codes(await response.json()) == ["PAYLOAD_TOO_LARGE"]


async def test_first_over_the_page_cap_is_the_fields_own_error(api: Api, admin_token: str) -> None:
    """Cost prices ``first`` at most at the cap, so the field's precise BAD_USER_INPUT wins."""
    status, body, _ = await api.post(
        "{ documents(first: 1000000) { nodes { id } } }", token=admin_token
    )
    assert status == 200
    assert _codes(body) == ["BAD_USER_INPUT"]
