"""graphql-transport-ws on /graphql with aiohttp's WebSocket client against the running app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest

from app.config import Settings
from app.resources import EVENT_HUB
from app.subscriptions.connections import REGISTRY
from tests.app.realtime.conftest import (
    RealtimeWorld,
    WsClient,
    new_document,
    open_ws,
    process,
    token_for,
)
from tests.conftest import Api, running


def _hub(api: Api):  # type: ignore[no-untyped-def]
    return api.client.server.app[EVENT_HUB]


async def _subscribed(api: Api, client: WsClient, op_id: str, company: int | None) -> None:
    """Subscribe and return once the server holds the subscription."""
    hub = _hub(api)
    before = hub.subscribed.value
    await client.subscribe(op_id, {"companyId": str(company)} if company else {})
    await hub.subscribed.wait(before + 1)


async def _ended(api: Api, closed_before: int) -> None:
    """Wait until the server side of a closed connection is gone; nothing may be left."""
    registry = api.client.server.app[REGISTRY]
    await registry.closed.wait(closed_before + 1)
    assert registry.total == 0
    assert not registry.websockets
    assert _hub(api).count == 0


async def test_handshake_and_ping(rt_api: Api, rt_world: RealtimeWorld) -> None:
    client = await open_ws(rt_api)
    assert client.ws.protocol == "graphql-transport-ws"
    assert await client.init(token_for(rt_world.alpha)) == {"type": "connection_ack"}
    await client.send({"type": "ping"})
    assert await client.receive() == {"type": "pong"}
    await client.ws.close()


async def test_event_received_with_selected_fields(rt_api: Api, rt_world: RealtimeWorld) -> None:
    client = await open_ws(rt_api)
    await client.init(token_for(rt_world.alpha))
    await _subscribed(rt_api, client, "1", rt_world.alpha)
    doc = await new_document(rt_world.url, rt_world.alpha, "inv-1.pdf")
    await process(rt_world.url, doc)
    assert await client.receive() == {
        "id": "1",
        "type": "next",
        "payload": {
            "data": {
                "documentProcessed": {
                    "id": str(doc),
                    "filename": "inv-1.pdf",
                    "processingStatus": "processed",
                    "company": {"id": str(rt_world.alpha), "name": "Alpha Realtime"},
                }
            }
        },
    }
    await client.ws.close()


async def test_token_in_upgrade_header(rt_api: Api, rt_world: RealtimeWorld) -> None:
    headers = {"Authorization": f"Bearer {token_for(rt_world.alpha)}"}
    client = await open_ws(rt_api, headers=headers)
    assert await client.init(None) == {"type": "connection_ack"}
    await client.ws.close()


async def test_other_tenant_receives_nothing(rt_api: Api, rt_world: RealtimeWorld) -> None:
    """A beta subscriber (no companyId: all its companies) skips alpha's event entirely."""
    beta = await open_ws(rt_api)
    await beta.init(token_for(rt_world.beta, subject="beta"))
    await _subscribed(rt_api, beta, "b", None)
    admin = await open_ws(rt_api)
    await admin.init(token_for(role="admin", subject="admin"))
    await _subscribed(rt_api, admin, "a", None)
    alpha_doc = await new_document(rt_world.url, rt_world.alpha, "alpha-secret.pdf")
    beta_doc = await new_document(rt_world.url, rt_world.beta, "beta.pdf")
    await process(rt_world.url, alpha_doc)
    await process(rt_world.url, beta_doc, "failed")
    # The admin sees both, in order; beta's first message is its own document.
    seen = [(await admin.receive())["payload"]["data"]["documentProcessed"]["id"] for _ in "12"]
    assert seen == [str(alpha_doc), str(beta_doc)]
    message = await beta.receive()
    assert message["payload"]["data"]["documentProcessed"]["id"] == str(beta_doc)
    assert message["payload"]["data"]["documentProcessed"]["processingStatus"] == "failed"
    await beta.ws.close()
    await admin.ws.close()


async def test_asking_for_another_company_is_forbidden(
    rt_api: Api, rt_world: RealtimeWorld
) -> None:
    client = await open_ws(rt_api)
    await client.init(token_for(rt_world.beta))
    await client.subscribe("x", {"companyId": str(rt_world.alpha)})
    message = await client.receive()
    assert message["type"] == "error" and message["id"] == "x"
    assert [e["extensions"]["code"] for e in message["payload"]] == ["FORBIDDEN"]
    await client.subscribe("y", {"companyId": "not-a-number"})
    message = await client.receive()
    assert [e["extensions"]["code"] for e in message["payload"]] == ["BAD_USER_INPUT"]
    await client.ws.close()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({}, 4401),
        ({"Authorization": "Bearer not-a-jwt"}, 4403),
        ({"Authorization": "Basic x"}, 4403),
    ],
)
async def test_missing_or_bad_token_closes(rt_api: Api, payload: dict[str, str], code: int) -> None:
    registry = rt_api.client.server.app[REGISTRY]
    closed = registry.closed.value
    client = await open_ws(rt_api)
    await client.send({"type": "connection_init", "payload": payload})
    assert (await client.closed())[0] == code
    await _ended(rt_api, closed)


async def test_subscribe_before_init_closes_4401(rt_api: Api, rt_world: RealtimeWorld) -> None:
    client = await open_ws(rt_api)
    await client.subscribe("1")
    assert (await client.closed())[0] == 4401


async def test_expired_token_ends_the_connection(rt_api: Api, rt_world: RealtimeWorld) -> None:
    client = await open_ws(rt_api)
    assert (await client.init(token_for(rt_world.alpha, ttl=2)))["type"] == "connection_ack"
    await client.subscribe("1", {"companyId": str(rt_world.alpha)})
    # Either the subscription's UNAUTHENTICATED error comes first, or straight the close.
    while True:
        message = await client.ws.receive(timeout=20)
        if message.type == aiohttp.WSMsgType.TEXT:
            assert '"UNAUTHENTICATED"' in message.data or '"complete"' in message.data
            continue
        break
    assert client.ws.close_code == 4403


async def test_subscriptions_per_connection_limited(rt_api: Api, rt_world: RealtimeWorld) -> None:
    client = await open_ws(rt_api)
    await client.init(token_for(rt_world.alpha))
    for n in range(10):
        await _subscribed(rt_api, client, f"s{n}", rt_world.alpha)
    await client.subscribe("s10", {"companyId": str(rt_world.alpha)})
    message = await client.receive()
    assert message["type"] == "error" and message["id"] == "s10"
    assert message["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
    # Completing one frees a slot.
    await client.send({"id": "s0", "type": "complete"})
    await _subscribed(rt_api, client, "s11", rt_world.alpha)
    await client.ws.close()


async def test_query_limits_apply_to_subscriptions(rt_settings: Settings) -> None:
    async with running(replace(rt_settings, max_query_depth=2)) as api:
        client = await open_ws(api)
        await client.init(token_for())
        await client.subscribe("deep")  # documentProcessed { company { id } } is depth 3
        message = await client.receive()
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
        await client.ws.close()


async def test_queries_and_mutations_are_refused(rt_api: Api) -> None:
    client = await open_ws(rt_api)
    await client.init(token_for())
    await client.subscribe("q", query="{ viewer { role } }")
    message = await client.receive()
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "BAD_REQUEST"
    await client.subscribe("m", query='mutation { deleteDocument(id: "1") }')
    message = await client.receive()
    assert message["payload"][0]["extensions"]["code"] == "BAD_REQUEST"
    await client.subscribe("n", query="subscription A { documentProcessed { id } }")
    await client.send(
        {
            "id": "o",
            "type": "subscribe",
            "payload": {
                "query": "subscription A { documentProcessed { id } }",
                "operationName": "B",
            },
        }
    )
    message = await client.receive()
    assert message["id"] == "o"
    assert message["payload"][0]["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"
    await client.subscribe("s", query="subscription { documentProcessed { nope } }")
    message = await client.receive()
    assert message["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    await client.subscribe("p", query="subscription {")
    message = await client.receive()
    assert message["payload"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    await client.ws.close()


@pytest.fixture
async def small_api(rt_settings: Settings) -> AsyncIterator[Api]:
    overrides = {
        "subscription_max_connections": 3,
        "subscription_max_connections_per_token": 2,
        "subscription_init_timeout_seconds": 0.3,
        "subscription_max_message_bytes": 2048,
    }
    async with running(replace(rt_settings, **overrides)) as api:
        yield api


async def test_connections_per_token_limited(small_api: Api, rt_world: RealtimeWorld) -> None:
    token = token_for(rt_world.alpha, subject="greedy")
    first, second, third = [await open_ws(small_api) for _ in range(3)]
    assert (await first.init(token))["type"] == "connection_ack"
    assert (await second.init(token))["type"] == "connection_ack"
    await third.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    assert (await third.closed())[0] == 4429
    # Another subject is not affected, and a closed connection frees its slot.
    await first.ws.close()
    registry = small_api.client.server.app[REGISTRY]
    await registry.closed.wait(2)
    fourth = await open_ws(small_api)
    assert (await fourth.init(token))["type"] == "connection_ack"
    await second.ws.close()
    await fourth.ws.close()


async def test_connections_per_process_limited(small_api: Api) -> None:
    clients = [await open_ws(small_api) for _ in range(3)]
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await open_ws(small_api)
    assert refused.value.status == 503
    for client in clients:
        await client.ws.close()


async def test_connection_init_timeout(small_api: Api) -> None:
    client = await open_ws(small_api)
    assert (await client.closed())[0] == 4408


async def test_oversized_message_closes_cleanly(small_api: Api) -> None:
    registry = small_api.client.server.app[REGISTRY]
    closed = registry.closed.value
    client = await open_ws(small_api)
    await client.init(token_for())
    await client.subscribe("big", query="subscription { documentProcessed { id } }" + " " * 4096)
    assert (await client.closed())[0] == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    await _ended(small_api, closed)


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1, 2]",
        '"a string"',
        '{"type": 7}',
        '{"type": "connection_init", "payload": "x"}',
        '{"type": "unknown"}',
    ],
)
async def test_bad_messages_close_4400(rt_api: Api, frame: str) -> None:
    registry = rt_api.client.server.app[REGISTRY]
    closed = registry.closed.value
    client = await open_ws(rt_api)
    await client.ws.send_str(frame)
    assert (await client.closed())[0] == 4400
    await _ended(rt_api, closed)


@pytest.mark.parametrize(
    "message",
    [
        {
            "id": 5,
            "type": "subscribe",
            "payload": {"query": "subscription { documentProcessed { id } }"},
        },
        {"id": "1", "type": "subscribe", "payload": {"query": 5}},
        {"id": "1", "type": "subscribe", "payload": []},
        {"id": "1", "type": "subscribe"},
        {
            "id": "1",
            "type": "subscribe",
            "payload": {"query": "subscription { x }", "variables": [1]},
        },
    ],
)
async def test_bad_subscribe_payload_closes_4400(rt_api: Api, message: dict[str, object]) -> None:
    registry = rt_api.client.server.app[REGISTRY]
    closed = registry.closed.value
    client = await open_ws(rt_api)
    await client.init(token_for())
    await client.send(message)
    assert (await client.closed())[0] == 4400
    await _ended(rt_api, closed)


async def test_binary_frame_closes_4400(rt_api: Api) -> None:
    client = await open_ws(rt_api)
    await client.ws.send_bytes(b"\x00\x01")
    assert (await client.closed())[0] == 4400


async def test_bad_subprotocol_closes_cleanly(rt_api: Api) -> None:
    registry = rt_api.client.server.app[REGISTRY]
    closed = registry.closed.value
    client = await open_ws(rt_api, protocol="graphql-ws")
    assert (await client.closed())[0] == 4406
    await _ended(rt_api, closed)


async def test_closing_mid_subscription_leaves_nothing(
    rt_api: Api, rt_world: RealtimeWorld
) -> None:
    registry = rt_api.client.server.app[REGISTRY]
    closed = registry.closed.value
    client = await open_ws(rt_api)
    await client.init(token_for(rt_world.alpha))
    await _subscribed(rt_api, client, "1", rt_world.alpha)
    await client.ws.close()
    await _ended(rt_api, closed)
    status, body, _ = await rt_api.post("{ __typename }")
    assert status == 200 and body == {"data": {"__typename": "Query"}}


async def test_shutdown_tells_clients(rt_settings: Settings, rt_world: RealtimeWorld) -> None:
    async with running(rt_settings) as api:
        client = await open_ws(api)
        await client.init(token_for(rt_world.alpha))
        await _subscribed(api, client, "1", rt_world.alpha)
        await api.client.server.app.shutdown()
        code, _ = await client.closed()
        assert code == aiohttp.WSCloseCode.GOING_AWAY


async def test_subscriptions_enter_through_the_shared_stages(rt_settings: Settings) -> None:
    """Prechecks and one parse per document apply to subscription documents too."""
    from app.resources import DOCUMENTS

    async with running(replace(rt_settings, max_fields=3)) as api:
        documents = api.client.server.app[DOCUMENTS]
        client = await open_ws(api)
        await client.init(token_for())
        wide = "subscription { documentProcessed { id filename status company { id name } } }"
        await client.subscribe("wide", query=wide)
        message = await client.receive()
        assert message["type"] == "error", message
        assert message["payload"][0]["extensions"]["code"] == "TOO_MANY_FIELDS"
        assert documents.parses == 0  # refused before parsing
        await client.ws.close()
    async with running(rt_settings) as api:
        documents = api.client.server.app[DOCUMENTS]
        hub = _hub(api)
        for op_id in ("a", "b"):
            client = await open_ws(api)
            await client.init(token_for())
            before = hub.subscribed.value
            await client.subscribe(op_id)
            await hub.subscribed.wait(before + 1)
            await client.ws.close()
        assert documents.parses == 1  # the second subscription reused the prepared document
