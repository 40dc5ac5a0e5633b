"""One `vanta serve` process under test: spawn, cold start, HTTP probes, RSS, stop."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psutil

__all__ = [
    "Reply",
    "Server",
    "ServerError",
    "check_reply",
    "cold_start_ms",
    "free_port",
    "port_range",
    "post_graphql",
    "running_server",
    "stop",
]

VANTA = Path(sys.executable).with_name("vanta")
START_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.01
STOP_TIMEOUT_S = 10.0
_UNREACHABLE = (urllib.error.URLError, ConnectionError, http.client.HTTPException, TimeoutError)
# The server is local: never route the probes through an HTTP proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerError(RuntimeError):
    """The server did not start, died, or answered a probe wrongly; the message says how."""


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer to a GraphQL POST."""

    status: int
    headers: Mapping[str, str]
    body: dict[str, Any]
    size: int


@dataclass(frozen=True, slots=True)
class Server:
    """A running server: its process, spawn time (perf_counter), GraphQL URL and log file."""

    process: subprocess.Popen[bytes]
    spawned: float
    url: str
    log: Path

    def rss_mib(self) -> float:
        """Resident set size of one serving process, in MiB: the largest gunicorn worker
        (the target is per worker), or the process itself when it has no children."""
        master = psutil.Process(self.process.pid)
        processes = master.children(recursive=True) or [master]
        return max(proc.memory_info().rss for proc in processes) / 2**20

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far: the gunicorn master and
        its workers (the embedded PostgreSQL, when there is one, is not ours)."""
        master = psutil.Process(self.process.pid)
        total = 0.0
        for proc in [master, *master.children()]:
            if proc.name().startswith("postgres"):
                continue
            times = proc.cpu_times()
            total += times.user + times.system
        return total

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the server wrote, for error messages."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def wait_until_up(url: str, timeout: float = 60.0) -> None:
    """Poll ``url`` (e.g. the server's /healthz) until it answers; OSError after ``timeout``."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.perf_counter() + timeout
    while True:
        try:
            opener.open(url, timeout=2).read()
            return
        except OSError:
            if time.perf_counter() > deadline:
                raise
            time.sleep(0.1)


_HANDED_OUT: set[int] = set()


def port_range(env: Mapping[str, str]) -> range | None:
    """Ports the bench may listen on from VANTA_BENCH_PORTS ("9300-9399"), or None: any.

    On a machine shared with other sessions each gets its own band; the bench keeps to it.
    """
    raw = env.get("VANTA_BENCH_PORTS", "").strip()
    if not raw:
        return None
    low, _, high = raw.partition("-")
    try:
        return range(int(low), int(high or low) + 1)
    except ValueError:
        raise ValueError(f"VANTA_BENCH_PORTS must look like 9300-9399, got {raw!r}") from None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (and not handed out before
    by this process): inside VANTA_BENCH_PORTS when set, else one the kernel picks."""
    band = port_range(os.environ)
    for port in band or [0]:
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            found = int(sock.getsockname()[1])
        _HANDED_OUT.add(found)
        return found
    raise OSError(f"no free port left in VANTA_BENCH_PORTS={os.environ['VANTA_BENCH_PORTS']}")


def post_graphql(url: str, payload: dict[str, Any], token: str, timeout: float = 10.0) -> Reply:
    """POST ``payload`` as JSON; return the reply whatever its status."""
    request = urllib.request.Request(
        url,
        data=orjson.dumps(payload),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status, headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, error.headers, error.read()
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        body = {"raw": raw[:500].decode(errors="replace")}
    return Reply(status, dict(headers.items()), body, len(raw))


@contextmanager
def running_server(
    env: Mapping[str, str], log: Path, command: Sequence[str] | None = None
) -> Iterator[Server]:
    """Spawn `vanta serve` (or ``command``) with ``env`` (VANTA_PORT must be set); always
    stop it afterwards."""
    log.parent.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{env['VANTA_PORT']}/graphql"
    with log.open("wb") as sink:
        spawned = time.perf_counter()
        process = subprocess.Popen(
            list(command or [str(VANTA), "serve"]),
            env=dict(env),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            yield Server(process, spawned, url, log)
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, wait, then SIGKILL if the process outlives the timeout."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cold_start_ms(server: Server, payload: dict[str, Any], token: str) -> float:
    """Milliseconds from spawning the server to its first good answer to ``payload``."""
    deadline = server.spawned + START_TIMEOUT_S
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise ServerError(
                f"server exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        try:
            reply = post_graphql(server.url, payload, token, timeout=2.0)
        except _UNREACHABLE:
            time.sleep(POLL_INTERVAL_S)
            continue
        elapsed = (time.perf_counter() - server.spawned) * 1000
        check_reply(reply, "cold-start probe")
        return elapsed
    raise ServerError(f"no answer within {START_TIMEOUT_S:.0f} s:\n{server.log_tail()}")


def check_reply(reply: Reply, what: str) -> None:
    """Raise ServerError unless ``reply`` is a 200 with data, no errors and no null root."""
    data = reply.body.get("data")
    ok = reply.status == 200 and "errors" not in reply.body and isinstance(data, dict)
    if not ok or any(value is None for value in data.values()):
        raise ServerError(f"{what}: HTTP {reply.status}: {orjson.dumps(reply.body)[:500]!r}")
