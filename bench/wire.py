"""Count what a server sends PostgreSQL, at the protocol: a TCP relay that reads the
frontend's messages and counts Execute ('E') and simple Query ('Q') messages (statements
run) and Sync ('S') plus Query messages (round trips that wait for the server).

pg_stat_statements needs a restart to load, and pg_stat_database counts transactions, not
statements, so this is the one measure that treats both servers alike. It is used only for
a short counted run on servers started for it, never during the timed runs: a relay in the
middle costs latency and CPU.
"""

from __future__ import annotations

import asyncio
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["WireCounter", "WireCounts", "counting_relay", "scan"]

_SSL_REQUEST = 80877103
_GSS_REQUEST = 80877104
_CANCEL = 80877102


@dataclass(slots=True)
class WireCounts:
    """Frontend messages seen so far, by type byte."""

    by_type: dict[str, int] = field(default_factory=dict)

    @property
    def statements(self) -> int:
        """Statements the client asked to run: Execute plus simple Query messages."""
        return self.by_type.get("E", 0) + self.by_type.get("Q", 0)

    @property
    def round_trips(self) -> int:
        """Points where the client waits for PostgreSQL: Sync plus simple Query messages."""
        return self.by_type.get("S", 0) + self.by_type.get("Q", 0)


def scan(buffer: bytearray, counts: WireCounts) -> None:
    """Count every complete typed message at the start of ``buffer`` and remove it; a
    partial message stays for the next read."""
    while len(buffer) >= 5:
        (length,) = struct.unpack_from("!I", buffer, 1)
        if len(buffer) < 1 + length:
            return
        kind = chr(buffer[0])
        counts.by_type[kind] = counts.by_type.get(kind, 0) + 1
        del buffer[: 1 + length]


class WireCounter:
    """Counts shared by every connection of one relay (read from the bench's thread)."""

    def __init__(self, port: int) -> None:
        self.port = port  # where the relay listens
        self._lock = threading.Lock()
        self._counts = WireCounts()

    def add(self, counts: WireCounts) -> None:
        """Fold one read's counts in."""
        with self._lock:
            for kind, number in counts.by_type.items():
                self._counts.by_type[kind] = self._counts.by_type.get(kind, 0) + number

    def snapshot(self) -> WireCounts:
        """A copy of the counts so far."""
        with self._lock:
            return WireCounts(dict(self._counts.by_type))


async def _startup(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    """Read untyped startup packets; refuse SSL/GSS encryption ('N': the client then speaks
    plain text, which is what lets the relay read it); return the startup message."""
    while True:
        header = await reader.readexactly(8)
        length, code = struct.unpack("!II", header)
        rest = await reader.readexactly(length - 8)
        if code in (_SSL_REQUEST, _GSS_REQUEST):
            writer.write(b"N")
            await writer.drain()
            continue
        return header + rest


async def _pump_counted(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, counter: WireCounter
) -> None:
    buffer = bytearray()
    while data := await reader.read(65536):
        writer.write(data)
        buffer += data
        counts = WireCounts()
        scan(buffer, counts)
        counter.add(counts)
        await writer.drain()
    writer.close()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


async def _relay(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    upstream: tuple[str, int],
    counter: WireCounter,
) -> None:
    writers = [client_writer]
    try:
        startup = await _startup(client_reader, client_writer)
        server_reader, server_writer = await asyncio.open_connection(*upstream)
        writers.append(server_writer)
        server_writer.write(startup)
        await server_writer.drain()
        if struct.unpack_from("!I", startup, 4)[0] == _CANCEL:
            return
        await asyncio.gather(
            _pump_counted(client_reader, server_writer, counter),
            _pump(server_reader, client_writer),
        )
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        for writer in writers:
            writer.close()


@contextmanager
def counting_relay(listen_port: int, upstream: tuple[str, int]) -> Iterator[WireCounter]:
    """Relay 127.0.0.1:``listen_port`` to ``upstream`` in a background thread while the
    block runs, counting the frontend's messages."""
    counter = WireCounter(listen_port)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, asyncio.AbstractServer] = {}

    async def serve() -> None:
        holder["server"] = await asyncio.start_server(
            lambda r, w: _relay(r, w, upstream, counter), "127.0.0.1", listen_port
        )
        started.set()

    async def shut() -> None:
        holder["server"].close()
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def run() -> None:
        loop.run_until_complete(serve())
        loop.run_forever()
        loop.run_until_complete(shut())
        loop.close()

    thread = threading.Thread(target=run, name="wire-relay", daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError(f"the counting relay did not listen on {listen_port}")
    try:
        yield counter
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
