"""Connections that never finish a request, or sit idle after one, are closed by the server
(raw sockets: an HTTP client library would finish the request for us)."""

from __future__ import annotations

import asyncio

from tests.conftest import StartApp

BOUND = 30  # seconds the test waits for the close before it fails (the setting is 0.2 s)


async def _closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sent until it closed the connection."""
    return await asyncio.wait_for(reader.read(), timeout=BOUND)


async def test_half_sent_request_headers_are_closed_at_the_keepalive_bound(
    start_app: StartApp,
) -> None:
    async with start_app(keepalive_seconds=0.2) as client:
        reader, writer = await asyncio.open_connection(client.host, client.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")  # never ends
        await writer.drain()
        assert await _closed_by_server(reader) == b""
        writer.close()


async def test_silent_connection_is_closed(start_app: StartApp) -> None:
    async with start_app(keepalive_seconds=0.2) as client:
        reader, writer = await asyncio.open_connection(client.host, client.port)
        assert await _closed_by_server(reader) == b""
        writer.close()


async def test_idle_keepalive_connection_is_closed_after_its_response(
    start_app: StartApp,
) -> None:
    async with start_app(keepalive_seconds=0.2) as client:
        reader, writer = await asyncio.open_connection(client.host, client.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        await writer.drain()
        answer = await _closed_by_server(reader)
        assert answer.startswith(b"HTTP/1.1 200")
        writer.close()
