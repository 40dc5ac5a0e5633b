"""Errors a user can act on: the request id on every error, and messages that say what to do."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, StartApp

LEDGER = (
    'mutation { recordLedgerEntry(input: {companyId: "1", entryType: "debit", '
    'amount: AMOUNT, transactionDate: "2024-01-01"}) { id } }'
)


def _request_ids(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["requestId"] for error in body["errors"]]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ companies { nodes { id }", "GRAPHQL_PARSE_FAILED"),
        ("{ companies { nodes { nope } } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ companies { nodes { id } } }", "UNAUTHENTICATED"),  # a field error (no token)
    ],
    ids=["parse", "validation", "field"],
)
async def test_request_and_field_errors_carry_the_request_id(
    api: Api, query: str, code: str
) -> None:
    status, body, headers = await api.post(query, headers={"X-Request-Id": f"rid-{code}"})
    assert status == 200
    assert body["errors"][0]["extensions"]["code"] == code
    assert headers["X-Request-Id"] == f"rid-{code}"
    assert _request_ids(body) == [f"rid-{code}"] * len(body["errors"])


async def test_http_errors_and_batch_slots_carry_the_request_id(api: Api) -> None:
    response = await api.client.post(
        "/graphql", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert _request_ids(await response.json()) == [response.headers["X-Request-Id"]]
    batch = [{"query": "{ __typename }"}, {"query": "{ __typename }", "operationName": "X"}]
    response = await api.client.post("/graphql", json=batch)
    first, second = await response.json()
    assert first == {"data": {"__typename": "Query"}}
    assert _request_ids(second) == [response.headers["X-Request-Id"]]


async def test_rate_limited_answer_carries_the_request_id(start_app: StartApp) -> None:
    async with start_app(rate_limit_per_minute=1, rate_limit_per_hour=0) as client:
        query = {"query": "{ __typename }"}
        assert (await client.post("/graphql", json=query)).status == 200
        response = await client.post("/graphql", json=query, headers={"X-Request-Id": "slow-down"})
        assert response.status == 429
        body = await response.json()
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert _request_ids(body) == ["slow-down"]


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_subscription_over_plain_http_says_where_it_works(
    api: Api, admin_token: str, method: str
) -> None:
    query = "subscription { documentProcessed { id } }"
    headers = {"Authorization": f"Bearer {admin_token}"}
    if method == "POST":
        response = await api.client.post("/graphql", json={"query": query}, headers=headers)
    else:
        response = await api.client.get("/graphql", params={"query": query}, headers=headers)
    assert response.status == 200  # a request error, answered as application/json
    body = await response.json()
    [error] = body["errors"]
    assert error["message"].startswith("Subscriptions need WebSocket or SSE: ")
    assert "Mutations" not in error["message"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "data" not in body


@pytest.mark.parametrize("token", ["abc.def", "not-a-token", "a.b.c", "...."])
async def test_an_undecodable_token_is_a_malformed_token(api: Api, token: str) -> None:
    response = await api.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 401
    [error] = (await response.json())["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "malformed token" in error["message"]
    assert error["message"] == "Invalid token: malformed token (not a JWT)."
    for codec_text in ("segments", "padding", "decode", "utf-8", "JSON"):
        assert codec_text not in error["message"], error["message"]


@pytest.mark.parametrize("amount", ['"abc"', "true", '"1e"'])
async def test_a_bad_decimal_literal_names_its_argument(
    api: Api, admin_token: str, amount: str
) -> None:
    status, body, _ = await api.post(LEDGER.replace("AMOUNT", amount), token=admin_token)
    assert status == 200 and "data" not in body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["extensions"]["argument"] == "input.amount"
    assert "input.amount" in error["message"] and "Decimal" in error["message"]
    assert error["locations"]
