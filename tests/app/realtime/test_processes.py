"""Real `vanta serve` processes on one PostgreSQL: an event produced by a third process reaches
subscribers of both, and SIGTERM tells connected clients before the process exits."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson
import pytest

from tests.app.realtime.conftest import (
    GUARD_SECONDS,
    SUBSCRIPTION,
    RealtimeWorld,
    new_document,
    token_for,
)
from tests.conftest import JWT_SECRET

VANTA = Path(sys.executable).with_name("vanta")
PORTS = range(8104, 8110)  # this branch's ports on the shared machine
POLL_SECONDS = 0.05  # between checks of a condition (server up, subscription held)


def _free_port(taken: set[int], ports: range = PORTS) -> int:
    for port in ports:
        if port in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        taken.add(port)
        return port
    pytest.skip(f"no free port in {ports.start}-{ports.stop - 1}")


@dataclass
class Served:
    process: asyncio.subprocess.Process
    base: str


@asynccontextmanager
async def vanta_serve(
    url: str, port: int, data_dir: Path, **extra_env: str
) -> AsyncIterator[Served]:
    env = {
        **os.environ,
        "VANTA_DATABASE_URL": url,
        "VANTA_JWT_SECRET": JWT_SECRET,
        "VANTA_PORT": str(port),
        "VANTA_DATA_DIR": str(data_dir),
        "VANTA_SEED_DEMO": "0",
        "VANTA_RATE_LIMIT_PER_MINUTE": "0",
        "VANTA_RATE_LIMIT_PER_HOUR": "0",
        **extra_env,
    }
    log = (data_dir / f"serve-{port}.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        str(VANTA), "serve", env=env, stdout=log, stderr=asyncio.subprocess.STDOUT
    )
    served = Served(process, f"http://127.0.0.1:{port}")
    try:
        await asyncio.wait_for(_until_healthy(served), 60)
        yield served
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        log.close()


async def _until_healthy(served: Served) -> None:
    async with aiohttp.ClientSession() as session:
        while True:
            assert served.process.returncode is None, "vanta serve exited"
            try:
                async with session.get(f"{served.base}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(POLL_SECONDS)


async def _until_subscribed(session: aiohttp.ClientSession, served: Served) -> None:
    """Poll /metrics until the process holds one subscription (the condition, not a delay)."""
    while True:
        async with session.get(f"{served.base}/metrics") as response:
            text = await response.text()
        if "vanta_subscriptions_active 1.0" in text:
            return
        await asyncio.sleep(POLL_SECONDS)


async def _subscribe(session: aiohttp.ClientSession, served: Served, company: int):  # type: ignore[no-untyped-def]
    ws = await session.ws_connect(f"{served.base}/graphql", protocols=["graphql-transport-ws"])
    auth = {"Authorization": f"Bearer {token_for(company)}"}
    await ws.send_str(orjson.dumps({"type": "connection_init", "payload": auth}).decode())
    assert orjson.loads((await ws.receive(timeout=GUARD_SECONDS)).data)["type"] == "connection_ack"
    payload = {"query": SUBSCRIPTION, "variables": {"companyId": str(company)}}
    await ws.send_str(orjson.dumps({"id": "1", "type": "subscribe", "payload": payload}).decode())
    await asyncio.wait_for(_until_subscribed(session, served), GUARD_SECONDS)
    return ws


async def _third_process_processes(url: str, document_id: int) -> None:
    code = (
        "import asyncio, sys, asyncpg\n"
        "from app.events.publish import publish_processed\n"
        "async def main():\n"
        "    conn = await asyncpg.connect(sys.argv[1])\n"
        "    assert await publish_processed(conn, int(sys.argv[2]))\n"
        "    await conn.close()\n"
        "asyncio.run(main())\n"
    )
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", code, url, str(document_id))
    assert await asyncio.wait_for(child.wait(), GUARD_SECONDS) == 0


async def test_two_servers_deliver_an_event_of_a_third_process(
    rt_world: RealtimeWorld, tmp_path: Path
) -> None:
    taken: set[int] = set()
    ports = (_free_port(taken), _free_port(taken))
    async with (
        vanta_serve(rt_world.url, ports[0], tmp_path) as first,
        vanta_serve(rt_world.url, ports[1], tmp_path) as second,
        aiohttp.ClientSession() as session,
    ):
        sockets = [await _subscribe(session, served, rt_world.alpha) for served in (first, second)]
        doc = await new_document(rt_world.url, rt_world.alpha, "multi.pdf")
        await _third_process_processes(rt_world.url, doc)
        for ws in sockets:
            message = orjson.loads((await ws.receive(timeout=GUARD_SECONDS)).data)
            assert message["payload"]["data"]["documentProcessed"]["id"] == str(doc)
        # SIGTERM: the client is told (1001) and the process exits.
        first.process.send_signal(signal.SIGTERM)
        while True:
            message = await sockets[0].receive(timeout=GUARD_SECONDS)
            if message.type == aiohttp.WSMsgType.CLOSE:
                assert message.data == aiohttp.WSCloseCode.GOING_AWAY
                break
            assert message.type == aiohttp.WSMsgType.TEXT  # the operation's "complete"
        assert await asyncio.wait_for(first.process.wait(), GUARD_SECONDS) == 0
        await sockets[1].close()
