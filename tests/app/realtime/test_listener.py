"""The NOTIFY listener: reconnect after its connection dies, replay what was missed meanwhile,
and keep in-process response caches of several app processes coherent."""

from __future__ import annotations

from dataclasses import replace

import asyncpg

from app.config import Settings
from app.events.cache_bus import InvalidationBus
from app.resources import CACHE_BUS, EVENT_HUB, LISTENER
from tests.app.realtime.conftest import (
    RealtimeWorld,
    new_document,
    open_ws,
    process,
    token_for,
)
from tests.conftest import Api, make_token, running
from tests.services import TcpProxy

DOCUMENT = "query D($id: ID!) { document(id: $id) { id filename } }"
RENAME = """
mutation R($id: ID!, $name: String!) { updateDocument(id: $id, input: {filename: $name}) { id } }
"""


def _via(url: str, port: int) -> str:
    """``url`` with its host and port replaced by the proxy's."""
    scheme, rest = url.split("://", 1)
    credentials, _, location = rest.rpartition("@")
    path = location.split("/", 1)[1]
    return f"{scheme}://{credentials}@127.0.0.1:{port}/{path}"


async def _terminate(url: str, pid: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


def _bus(api: Api) -> InvalidationBus:
    return api.client.server.app[CACHE_BUS]


async def _cached(api: Api, doc: int, token: str) -> tuple[str, str]:
    status, body, headers = await api.post(DOCUMENT, {"id": str(doc)}, token)
    assert status == 200, body
    return body["data"]["document"]["filename"], headers["X-Cache"]


async def test_missed_events_are_replayed_after_reconnect(
    rt_settings: Settings, rt_world: RealtimeWorld
) -> None:
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    try:
        settings = replace(rt_settings, database_url=_via(rt_world.url, proxy.port))
        async with running(settings) as api:
            app = api.client.server.app
            listener, hub = app[LISTENER], app[EVENT_HUB]
            client = await open_ws(api)
            await client.init(token_for(rt_world.alpha))
            before = hub.subscribed.value
            await client.subscribe("1", {"companyId": str(rt_world.alpha)})
            await hub.subscribed.wait(before + 1)
            connections = listener.connections.value
            proxy.cut()  # the listener's connection dies and reconnects are refused
            missed = await new_document(rt_world.url, rt_world.alpha, "while-away.pdf")
            await process(rt_world.url, missed)  # nobody of this app is listening now
            proxy.restore()
            await listener.connections.wait(connections + 1)
            message = await client.receive()
            assert message["payload"]["data"]["documentProcessed"]["id"] == str(missed)
            assert hub.replayed >= 1
            # Live events flow again, and the replayed one is not delivered twice.
            live = await new_document(rt_world.url, rt_world.alpha, "after.pdf")
            await process(rt_world.url, live)
            message = await client.receive()
            assert message["payload"]["data"]["documentProcessed"]["id"] == str(live)
            await client.ws.close()
    finally:
        await proxy.close()


async def test_listener_reconnects_after_its_backend_is_terminated(
    rt_settings: Settings, rt_world: RealtimeWorld
) -> None:
    settings = replace(rt_settings, cache_enabled=True)
    async with running(settings) as api:
        app = api.client.server.app
        listener, hub = app[LISTENER], app[EVENT_HUB]
        token = make_token("admin", "*", subject="cache-reader")
        doc = await new_document(rt_world.url, rt_world.alpha, "cached.pdf")
        assert await _cached(api, doc, token) == ("cached.pdf", "MISS")
        assert await _cached(api, doc, token) == ("cached.pdf", "HIT")
        old_pid, connections = listener.pid, listener.connections.value
        assert old_pid is not None
        await _terminate(rt_world.url, old_pid)
        await listener.connections.wait(connections + 1)
        assert listener.pid != old_pid
        await _bus(api).clears.wait(1)
        # Invalidations may have been missed: the in-process cache was cleared.
        assert await _cached(api, doc, token) == ("cached.pdf", "MISS")
        client = await open_ws(api)
        await client.init(token_for(rt_world.alpha))
        before = hub.subscribed.value
        await client.subscribe("1", {"companyId": str(rt_world.alpha)})
        await hub.subscribed.wait(before + 1)
        await process(rt_world.url, doc)
        message = await client.receive()
        assert message["payload"]["data"]["documentProcessed"]["id"] == str(doc)
        await client.ws.close()


async def test_mutation_in_one_process_invalidates_the_other(
    rt_settings: Settings, rt_world: RealtimeWorld
) -> None:
    """Two app instances with in-process caches on one PostgreSQL stay coherent."""
    settings = replace(rt_settings, cache_enabled=True)
    token = make_token("admin", "*", subject="cache-writer")
    doc = await new_document(rt_world.url, rt_world.beta, "before.pdf")
    async with running(settings) as first, running(settings) as second:
        assert await _cached(second, doc, token) == ("before.pdf", "MISS")
        assert await _cached(second, doc, token) == ("before.pdf", "HIT")
        applied = _bus(second).applied.value
        status, body, _ = await first.post(RENAME, {"id": str(doc), "name": "after.pdf"}, token)
        assert status == 200 and "errors" not in body, body
        await _bus(second).applied.wait(applied + 1)
        assert await _cached(second, doc, token) == ("after.pdf", "MISS")
        # A processing worker's NOTIFY (contract payload) reaches both processes too.
        assert await _cached(first, doc, token) == ("after.pdf", "MISS")
        assert await _cached(first, doc, token) == ("after.pdf", "HIT")
        first_applied, second_applied = _bus(first).applied.value, _bus(second).applied.value
        await process(rt_world.url, doc)
        await _bus(first).applied.wait(first_applied + 1)
        await _bus(second).applied.wait(second_applied + 1)
        assert (await _cached(first, doc, token))[1] == "MISS"


async def test_malformed_notifications_are_ignored(rt_api: Api, rt_world: RealtimeWorld) -> None:
    app = rt_api.client.server.app
    hub = app[EVENT_HUB]
    client = await open_ws(rt_api)
    await client.init(token_for(rt_world.alpha))
    before = hub.subscribed.value
    await client.subscribe("1", {"companyId": str(rt_world.alpha)})
    await hub.subscribed.wait(before + 1)
    conn = await asyncpg.connect(rt_world.url)
    try:
        for payload in ("nope", "[]", '{"document_id": "1"}', '{"tags": "x"}'):
            await conn.execute("SELECT pg_notify('vanta_document_processed', $1)", payload)
            await conn.execute("SELECT pg_notify('vanta_cache_invalidate', $1)", payload)
    finally:
        await conn.close()
    doc = await new_document(rt_world.url, rt_world.alpha, "fine.pdf")
    await process(rt_world.url, doc)
    message = await client.receive()
    assert message["payload"]["data"]["documentProcessed"]["id"] == str(doc)
    await client.ws.close()
