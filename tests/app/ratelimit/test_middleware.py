"""Rate limiting over HTTP: 429 shape, RateLimit-* headers, keys, exempt paths."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import StartApp, make_token

QUERY = {"query": "{ __typename }"}


async def _post(client: TestClient, **headers: str) -> tuple[int, Any, Any]:
    response = await client.post("/graphql", json=QUERY, headers=headers)
    return response.status, await response.json(content_type=None), response.headers


async def test_over_the_limit_is_429_with_retry_after_and_graphql_body(start_app: StartApp) -> None:
    async with start_app(rate_limit_per_minute=3, rate_limit_per_hour=0) as client:
        for _ in range(3):
            status, _, _ = await _post(client)
            assert status == 200
        status, body, headers = await _post(client, **{"X-Request-Id": "limited-1"})
    assert status == 429
    assert headers["Content-Type"].startswith("application/json")
    assert int(headers["Retry-After"]) == 20  # 60 s / 3
    assert headers["RateLimit-Limit"] == "3"
    assert headers["RateLimit-Remaining"] == "0"
    assert int(headers["RateLimit-Reset"]) > 0
    assert headers["X-Request-Id"] == "limited-1"
    assert body == {
        "errors": [
            {
                "message": "Too many requests; retry after 20 s.",
                "extensions": {"code": "RATE_LIMITED", "retryAfter": 20, "requestId": "limited-1"},
            }
        ]
    }


async def test_allowed_responses_carry_ratelimit_headers(start_app: StartApp) -> None:
    async with start_app(rate_limit_per_minute=10, rate_limit_per_hour=0) as client:
        remaining = []
        for _ in range(3):
            status, _, headers = await _post(client)
            assert status == 200
            assert headers["RateLimit-Limit"] == "10"
            assert "Retry-After" not in headers
            remaining.append(int(headers["RateLimit-Remaining"]))
    assert remaining == [9, 8, 7]


async def test_each_token_subject_has_its_own_budget(start_app: StartApp) -> None:
    alice = {"Authorization": f"Bearer {make_token(subject='alice')}"}
    bob = {"Authorization": f"Bearer {make_token(subject='bob')}"}
    async with start_app(rate_limit_per_minute=2, rate_limit_per_hour=0) as client:
        assert [(await _post(client, **alice))[0] for _ in range(3)] == [200, 200, 429]
        assert (await _post(client, **bob))[0] == 200
        assert (await _post(client))[0] == 200  # anonymous: keyed by address, not by alice


async def test_an_invalid_token_counts_against_the_address(start_app: StartApp) -> None:
    async with start_app(rate_limit_per_minute=2, rate_limit_per_hour=0) as client:
        assert (await _post(client))[0] == 200
        assert (await _post(client))[0] == 200
        status, body, _ = await _post(client, Authorization="Bearer not-a-jwt")
    assert status == 429  # not a fresh budget for a forged token, and not a 401 first
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_the_hourly_limit_applies_too(start_app: StartApp) -> None:
    async with start_app(rate_limit_per_minute=100, rate_limit_per_hour=2) as client:
        assert [(await _post(client))[0] for _ in range(3)] == [200, 200, 429]


async def test_health_readiness_and_metrics_are_exempt(start_app: StartApp) -> None:
    async with start_app(rate_limit_per_minute=1, rate_limit_per_hour=0) as client:
        assert (await _post(client))[0] == 200
        assert (await _post(client))[0] == 429
        for path in ("/healthz", "/readyz", "/metrics"):
            for _ in range(3):
                response = await client.get(path)
                assert response.status == 200, path
                assert "RateLimit-Limit" not in response.headers


async def test_limits_of_zero_turn_rate_limiting_off(start_app: StartApp) -> None:
    async with start_app(rate_limit_per_minute=0, rate_limit_per_hour=0) as client:
        for _ in range(5):
            status, _, headers = await _post(client)
            assert status == 200
            assert "RateLimit-Limit" not in headers


async def test_refused_requests_are_counted_in_metrics(start_app: StartApp) -> None:
    async with start_app(rate_limit_per_minute=1, rate_limit_per_hour=0) as client:
        await _post(client)
        await _post(client)
        await _post(client)
        metrics = await (await client.get("/metrics")).text()
    assert 'vanta_graphql_requests_total{status="429"} 2.0' in metrics


async def test_the_token_is_verified_once_per_request(
    start_app: StartApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jwt

    calls = 0
    real = jwt.decode

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)  # every verification goes through PyJWT
    async with start_app(rate_limit_per_minute=100) as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ viewer { subject } }"},
            headers={"Authorization": f"Bearer {make_token('viewer', [1], subject='once')}"},
        )
        assert response.status == 200
        assert (await response.json())["data"]["viewer"]["subject"] == "once"
        assert response.headers["RateLimit-Remaining"] == "99"
    assert calls == 1  # the limiter keyed by subject and the handler shared one verification
