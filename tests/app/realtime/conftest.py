"""Fixtures of the real-time tests: a database of their own, clients for WS and SSE."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import asyncpg
import orjson
import pytest

from app.config import Settings
from app.events.publish import publish_processed
from app.migrate import apply_migrations
from tests.conftest import Api, TestDatabase, make_token, running

# A guard against a hung test, never a synchronisation point: every wait is for a message.
GUARD_SECONDS = 20.0

SUBSCRIPTION = """
subscription Processed($companyId: ID) {
  documentProcessed(companyId: $companyId) { id filename processingStatus company { id name } }
}
"""


@dataclass
class RealtimeWorld:
    url: str
    alpha: int  # company ids
    beta: int


@pytest.fixture(scope="session")
async def rt_world(test_db: TestDatabase) -> RealtimeWorld:
    """Two companies in a database of their own (events here do not disturb other tests)."""
    url = await test_db.create_empty()
    await apply_migrations(url)
    conn = await asyncpg.connect(url)
    try:
        ids = []
        for name in ("Alpha Realtime", "Beta Realtime"):
            ids.append(
                await conn.fetchval(
                    "INSERT INTO companies (name, registration_number, industry, company_type) "
                    "VALUES ($1, $2, 'testing', 'subsidiary') RETURNING id",
                    name,
                    f"REG-{name.upper().replace(' ', '-')}",
                )
            )
    finally:
        await conn.close()
    return RealtimeWorld(url, ids[0], ids[1])


@pytest.fixture(scope="session")
def rt_settings(settings: Settings, rt_world: RealtimeWorld) -> Settings:
    return replace(settings, database_url=rt_world.url)


@pytest.fixture
async def rt_api(rt_settings: Settings) -> AsyncIterator[Api]:
    async with running(rt_settings) as api:
        yield api


async def new_document(url: str, company_id: int, filename: str = "scan.pdf") -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(
            await conn.fetchval(
                "INSERT INTO documents (company_id, filename, document_type, category, "
                "uploaded_by) VALUES ($1, $2, 'invoice', 'financial', 'test') RETURNING id",
                company_id,
                filename,
            )
        )
    finally:
        await conn.close()


async def process(url: str, document_id: int, status: str = "processed") -> None:
    """What a processing worker does at the end of a job (the NOTIFY contract)."""
    conn = await asyncpg.connect(url)
    try:
        assert await publish_processed(conn, document_id, status) is not None
    finally:
        await conn.close()


class WsClient:
    """A graphql-transport-ws client over aiohttp's WebSocket client."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(orjson.dumps(message).decode())

    async def receive(self) -> dict[str, Any]:
        """The next protocol message; AssertionError when the socket closes instead."""
        message = await asyncio.wait_for(self.ws.receive(), GUARD_SECONDS)
        assert message.type == aiohttp.WSMsgType.TEXT, (message.type, message.data, message.extra)
        return orjson.loads(message.data)

    async def closed(self) -> tuple[int | None, str]:
        """Wait for the server to close; (close code, reason)."""
        while True:
            message = await asyncio.wait_for(self.ws.receive(), GUARD_SECONDS)
            if message.type == aiohttp.WSMsgType.CLOSE:
                return int(message.data), str(message.extra or "")
            if message.type == aiohttp.WSMsgType.CLOSED:
                return self.ws.close_code, str(message.extra or "")
            if message.type == aiohttp.WSMsgType.ERROR:
                return self.ws.close_code, str(message.data)

    async def init(self, token: str | None) -> dict[str, Any]:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await self.send({"type": "connection_init", "payload": payload})
        return await self.receive()

    async def subscribe(
        self, op_id: str, variables: dict[str, Any] | None = None, query: str = SUBSCRIPTION
    ) -> None:
        await self.send(
            {
                "id": op_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )


async def open_ws(api: Api, protocol: str = "graphql-transport-ws", **kwargs: Any) -> WsClient:
    ws = await api.client.ws_connect("/graphql", protocols=[protocol], **kwargs)
    return WsClient(ws)


def token_for(
    *companies: int, subject: str = "rt-viewer", role: str = "viewer", ttl: int | None = None
) -> str:
    if ttl is None:
        return make_token(role, list(companies) if companies else "*", subject=subject)
    from app.auth import issue_token
    from tests.conftest import JWT_SECRET

    scope: str | list[int] = list(companies) if companies else "*"
    return issue_token(JWT_SECRET, subject=subject, role=role, companies=scope, ttl_seconds=ttl)
