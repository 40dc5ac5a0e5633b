"""graphql-sse (distinct connections mode) on /graphql with aiohttp's HTTP client."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import orjson

from app.resources import EVENT_HUB
from app.subscriptions.connections import REGISTRY
from tests.app.realtime.conftest import (
    GUARD_SECONDS,
    SUBSCRIPTION,
    RealtimeWorld,
    new_document,
    process,
    token_for,
)
from tests.conftest import Api

SSE = {"Accept": "text/event-stream", "Content-Type": "application/json"}


async def _open(
    api: Api, token: str | None, variables: dict[str, Any] | None = None, query: str = SUBSCRIPTION
) -> aiohttp.ClientResponse:
    headers = dict(SSE)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = {"query": query, "variables": variables or {}}
    return await api.client.post("/graphql", data=orjson.dumps(body), headers=headers)


async def _event(response: aiohttp.ClientResponse) -> tuple[str, Any]:
    """The next SSE event (name, decoded data); heartbeat comments are skipped."""
    name, data = None, None
    while True:
        line = (await asyncio.wait_for(response.content.readline(), GUARD_SECONDS)).decode()
        assert line, "stream ended"
        line = line.rstrip("\r\n")
        if line.startswith(":"):
            continue
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: ") or line == "data:":
            data = line[len("data: ") :] if line.startswith("data: ") else ""
        elif line == "" and name is not None:
            return name, orjson.loads(data) if data else None


async def _subscribed(api: Api, before: int) -> None:
    await api.client.server.app[EVENT_HUB].subscribed.wait(before + 1)


async def test_event_received_over_sse(rt_api: Api, rt_world: RealtimeWorld) -> None:
    before = rt_api.client.server.app[EVENT_HUB].subscribed.value
    response = await _open(rt_api, token_for(rt_world.alpha), {"companyId": str(rt_world.alpha)})
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    await _subscribed(rt_api, before)
    doc = await new_document(rt_world.url, rt_world.alpha, "sse.pdf")
    await process(rt_world.url, doc)
    name, data = await _event(response)
    assert name == "next"
    assert data["data"]["documentProcessed"]["id"] == str(doc)
    assert data["data"]["documentProcessed"]["company"] == {
        "id": str(rt_world.alpha),
        "name": "Alpha Realtime",
    }
    response.close()
    registry = rt_api.client.server.app[REGISTRY]
    await registry.closed.wait(1)
    assert registry.total == 0


async def test_sse_other_company_is_forbidden(rt_api: Api, rt_world: RealtimeWorld) -> None:
    response = await _open(rt_api, token_for(rt_world.beta), {"companyId": str(rt_world.alpha)})
    assert response.status == 200
    name, data = await _event(response)
    assert name == "next"
    assert [e["extensions"]["code"] for e in data["errors"]] == ["FORBIDDEN"]
    assert (await _event(response))[0] == "complete"


async def test_sse_without_or_with_bad_token_is_401(rt_api: Api) -> None:
    for token in (None, "not-a-jwt"):
        response = await _open(rt_api, token)
        assert response.status == 401
        body = await response.json()
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    headers = {**SSE, "Authorization": "Basic abc"}
    response = await rt_api.client.post("/graphql", data=b"{}", headers=headers)
    assert response.status == 401


async def test_sse_bad_body_is_4xx(rt_api: Api) -> None:
    headers = {**SSE, "Authorization": f"Bearer {token_for()}"}
    for body in (b"not json", b"[1]", b'{"query": 5}'):
        response = await rt_api.client.post("/graphql", data=body, headers=headers)
        assert 400 <= response.status < 500, (body, response.status)
    response = await _open(rt_api, token_for(), query="{ viewer { role } }")
    _, data = await _event(response)
    assert data["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_sse_stream_completes_at_shutdown(rt_settings, rt_world: RealtimeWorld) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import running

    async with running(rt_settings) as api:
        before = api.client.server.app[EVENT_HUB].subscribed.value
        response = await _open(api, token_for(rt_world.alpha))
        await _subscribed(api, before)
        await api.client.server.app.shutdown()
        assert (await _event(response))[0] == "complete"


async def test_sse_token_expiry_ends_the_stream(rt_api: Api, rt_world: RealtimeWorld) -> None:
    response = await _open(rt_api, token_for(rt_world.alpha, ttl=2))
    name, data = await _event(response)
    assert name == "next"
    assert data["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await _event(response))[0] == "complete"


async def _assert_request_id(response: aiohttp.ClientResponse, status: int, code: str) -> None:
    assert response.status == status, await response.text()
    (error,) = (await response.json())["errors"]
    assert error["extensions"]["code"] == code
    assert error["extensions"]["requestId"] == response.headers["X-Request-Id"]


async def test_sse_refusals_before_the_stream_carry_the_request_id(rt_api: Api) -> None:
    """Every error names its request, the ones answered before anything streams too."""
    await _assert_request_id(await _open(rt_api, None), 401, "UNAUTHENTICATED")
    await _assert_request_id(await _open(rt_api, "not-a-jwt"), 401, "UNAUTHENTICATED")
    headers = {**SSE, "Authorization": "Basic abc", "X-Request-Id": "sse-basic-1"}
    response = await rt_api.client.post("/graphql", data=b"{}", headers=headers)
    await _assert_request_id(response, 401, "UNAUTHENTICATED")
    assert response.headers["X-Request-Id"] == "sse-basic-1"
    headers = {**SSE, "Authorization": f"Bearer {token_for()}"}
    response = await rt_api.client.post("/graphql", data=b"not json", headers=headers)
    await _assert_request_id(response, 400, "BAD_REQUEST")


async def test_sse_connection_limit_refusal_carries_the_request_id(
    rt_settings,
    rt_world: RealtimeWorld,  # type: ignore[no-untyped-def]
) -> None:
    from dataclasses import replace

    from tests.conftest import running

    async with running(replace(rt_settings, subscription_max_connections_per_token=1)) as api:
        before = api.client.server.app[EVENT_HUB].subscribed.value
        token = token_for(rt_world.alpha)
        first = await _open(api, token, {"companyId": str(rt_world.alpha)})
        assert first.status == 200
        await _subscribed(api, before)
        await _assert_request_id(await _open(api, token), 429, "TOO_MANY_CONNECTIONS")
        first.close()
