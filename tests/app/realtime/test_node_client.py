"""The real npm ``graphql-ws`` client (the README's example) against the running app."""

from __future__ import annotations

import asyncio
import shutil

import orjson

from app.resources import EVENT_HUB
from tests.app.realtime.conftest import (
    GUARD_SECONDS,
    RealtimeWorld,
    new_document,
    process,
    token_for,
)
from tests.app.realtime.node import node_clients
from tests.conftest import Api


async def test_graphql_ws_npm_client_receives_the_event(
    rt_api: Api, rt_world: RealtimeWorld
) -> None:
    folder = node_clients()
    hub = rt_api.client.server.app[EVENT_HUB]
    before = hub.subscribed.value
    url = str(rt_api.client.make_url("/graphql")).replace("http://", "ws://")
    node = shutil.which("node")
    assert node is not None
    child = await asyncio.create_subprocess_exec(
        node,
        str(folder / "subscribe.mjs"),
        url,
        token_for(rt_world.alpha, subject="node"),
        str(rt_world.alpha),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        first = await asyncio.wait_for(child.stdout.readline(), GUARD_SECONDS)
        assert first.strip() == b"connected"
        await asyncio.wait_for(hub.subscribed.wait(before + 1), GUARD_SECONDS)
        doc = await new_document(rt_world.url, rt_world.alpha, "from-node.pdf")
        await process(rt_world.url, doc)
        line = await asyncio.wait_for(child.stdout.readline(), GUARD_SECONDS)
        assert orjson.loads(line) == {
            "data": {
                "documentProcessed": {
                    "id": str(doc),
                    "filename": "from-node.pdf",
                    "processingStatus": "processed",
                    "company": {"id": str(rt_world.alpha), "name": "Alpha Realtime"},
                }
            }
        }
        assert await asyncio.wait_for(child.wait(), GUARD_SECONDS) == 0
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
