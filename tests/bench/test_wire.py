"""The relay that counts statements at the protocol: message framing, SSL refusal, counts."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading

import pytest

from bench.wire import WireCounts, counting_relay, scan


def _message(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + struct.pack("!I", 4 + len(payload)) + payload


def test_scan_counts_whole_messages_and_keeps_a_partial_one() -> None:
    stream = _message(b"P", b"q\x00") + _message(b"B") + _message(b"E", b"\x00" * 5)
    stream += _message(b"S") + _message(b"Q", b"SELECT 1\x00")
    buffer = bytearray(stream + _message(b"Q", b"SELECT 2\x00")[:6])
    counts = WireCounts()
    scan(buffer, counts)
    assert counts.by_type == {"P": 1, "B": 1, "E": 1, "S": 1, "Q": 1}
    assert (counts.statements, counts.round_trips) == (2, 2)
    assert len(buffer) == 6


def _upstream() -> tuple[socket.socket, list[bytes]]:
    """A stand-in for PostgreSQL that records what reaches it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            while data := conn.recv(65536):
                received.append(data)

    threading.Thread(target=serve, daemon=True).start()
    return listener, received


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The relay's thread must shut its loop down cleanly (an exception there is only a warning).
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_the_relay_refuses_ssl_forwards_everything_else_and_counts() -> None:
    listener, received = _upstream()
    port = _free_port()
    payload = b"user\x00u\x00\x00"
    startup = struct.pack("!II", 8 + len(payload), 196608) + payload
    traffic = _message(b"Q", b"SELECT 1\x00") + _message(b"E", b"\x00" * 5) + _message(b"S")
    with counting_relay(port, listener.getsockname()) as counter:

        async def client() -> bytes:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(struct.pack("!II", 8, 80877103))  # SSLRequest
            answer = await reader.readexactly(1)
            writer.write(startup + traffic)
            await writer.drain()
            await asyncio.sleep(0.3)
            writer.close()
            return answer

        assert asyncio.run(client()) == b"N"
        counts = counter.snapshot()
    listener.close()
    assert b"".join(received) == startup + traffic  # the SSLRequest never reached upstream
    assert (counts.statements, counts.round_trips) == (2, 2)
