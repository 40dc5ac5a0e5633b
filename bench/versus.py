"""Ours against PostGraphile on the same database in the same run (issue 15): both servers up
the whole time, identical answers checked first, then N interleaved pairs per query (ours,
peer, ours, peer…), each run with its costs: requests/s, p50/p99, server CPU, PostgreSQL
backend CPU; statements per request from a separate counted run (bench/wire.py); bytes per
response and RSS."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.costs import backend_snapshot, cpu_ms_between, tree_cpu_seconds, tree_rss_mib
from bench.harness import WORK, Setup, server_env
from bench.peer.compare import check_same
from bench.peer.kit import running_peer
from bench.peer.queries import peer_payloads
from bench.queries import payloads
from bench.server import Reply, ServerError, check_reply, free_port, post_graphql, running_server
from bench.wire import WireCounter, counting_relay
from bench.wrk import run_wrk, write_script

__all__ = ["OURS_ENV", "Round", "SideQuery", "Versus", "measure_versus", "pairs_from_env"]

# Our uncached server: the fast path with loaders, every request executed.
OURS_ENV = {"VANTA_LOADERS": "on", "VANTA_FASTPATH": "on", "VANTA_CACHE": "off"}
DEFAULT_PAIRS = 6
WARMUP_SECONDS = 1
START_TIMEOUT_S = 60.0
COUNTED_REQUESTS = 20  # per query, one at a time, through the counting relay
ROUND_TRIPS_HEADER = "x-db-round-trips"


@dataclass(frozen=True, slots=True)
class Round:
    """One wrk run of one server on one query, with its costs."""

    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # server process tree, per request
    pg_cpu_ms: float  # the server's PostgreSQL backends, per request


@dataclass(slots=True)
class SideQuery:
    """Everything measured for one server on one query."""

    rounds: list[Round] = field(default_factory=list)
    bytes: int = 0
    statements: float = 0.0  # per request, counted at the protocol
    wire_round_trips: float = 0.0
    header_round_trips: str = ""  # ours only: X-DB-Round-Trips


@dataclass(slots=True)
class Versus:
    """One comparison: ``processes`` per server, per query both sides."""

    processes: int
    ours: dict[str, SideQuery]
    peer: dict[str, SideQuery]
    matched_ids: dict[str, int]
    rss_ours_mib: list[float] = field(default_factory=list)  # per process, largest first
    rss_peer_mib: list[float] = field(default_factory=list)


def pairs_from_env(env: Mapping[str, str]) -> int:
    """VANTA_BENCH_PAIRS (default 6): interleaved pairs per query."""
    raw = env.get("VANTA_BENCH_PAIRS") or str(DEFAULT_PAIRS)
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"VANTA_BENCH_PAIRS must be an integer >= 1, got {raw!r}")
    return int(raw)


def via(dsn: str, port: int) -> str:
    """``dsn`` with its host and port replaced by 127.0.0.1:``port`` (the counting relay)."""
    parts = urlsplit(dsn)
    user = parts.netloc.rpartition("@")[0]
    netloc = f"{user}@127.0.0.1:{port}" if user else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def db_address(dsn: str) -> tuple[str, int]:
    """(host, port) of the PostgreSQL ``dsn`` names."""
    parts = urlsplit(dsn)
    return parts.hostname or "127.0.0.1", parts.port or 5432


def wait_answering(
    url: str, payload: dict[str, Any], token: str, exited: Callable[[], str | None]
) -> Reply:
    """Poll ``url`` with ``payload`` until a good answer; ServerError if the server dies."""
    deadline = time.perf_counter() + START_TIMEOUT_S
    while time.perf_counter() < deadline:
        problem = exited()
        if problem:
            raise ServerError(problem)
        try:
            reply = post_graphql(url, payload, token, timeout=5.0)
        except OSError:
            time.sleep(0.1)
            continue
        check_reply(reply, url)
        return reply
    raise ServerError(f"{url}: no answer within {START_TIMEOUT_S:.0f} s")


@dataclass(frozen=True, slots=True)
class _Running:
    url: str
    pids: list[int]
    exited: Callable[[], str | None]


@contextmanager
def _both(
    setup: Setup, ours_dsn: str, peer_dsn: str, processes: int, tag: str
) -> Iterator[tuple[_Running, _Running]]:
    """Our server (``processes`` workers) on ``ours_dsn`` and the peer (``processes``
    instances on one port) on ``peer_dsn``; both stopped afterwards."""
    env = server_env(ours_dsn, setup.secret, {**OURS_ENV, "VANTA_WORKERS": str(processes)})
    with (
        running_server(env, WORK / f"serve-versus-{tag}.log") as server,
        running_peer(peer_dsn, free_port(), processes, WORK / f"peer-{tag}") as peer,
    ):

        def ours_exited() -> str | None:
            code = server.process.poll()
            return None if code is None else f"vanta serve exited with {code}:\n{server.log_tail()}"

        yield (
            _Running(server.url, [server.process.pid], ours_exited),
            _Running(peer.url, peer.pids, peer.exited),
        )


def _answers(
    setup: Setup, ours: _Running, peer: _Running
) -> tuple[dict[str, int], dict[str, Reply], dict[str, Reply]]:
    """Check both answer every query with the same documents; (ids matched, replies)."""
    bodies = payloads(setup.data.company_id, setup.data.document_id)
    peer_bodies = peer_payloads(setup.data.company_id, setup.data.document_id)
    matched, mine, theirs = {}, {}, {}
    for name in bodies:
        mine[name] = wait_answering(ours.url, bodies[name], setup.token, ours.exited)
        theirs[name] = wait_answering(peer.url, peer_bodies[name], setup.token, peer.exited)
        matched[name] = check_same(name, mine[name].body, theirs[name].body)
        if matched[name] == 0:
            raise ServerError(f"{name}: both answers hold no document: nothing was compared")
    return matched, mine, theirs


def count_statements(setup: Setup) -> dict[str, tuple[float, float, float, float]]:
    """Per query (ours statements, ours round trips, peer statements, peer round trips) per
    request, counted at the protocol on one process each started for this purpose."""
    upstream = db_address(setup.dsn)
    bodies = payloads(setup.data.company_id, setup.data.document_id)
    peer_bodies = peer_payloads(setup.data.company_id, setup.data.document_id)
    with (
        counting_relay(free_port(), upstream) as ours_wire,
        counting_relay(free_port(), upstream) as peer_wire,
    ):
        ours_dsn = via(setup.dsn, ours_wire.port)
        peer_dsn = via(setup.dsn, peer_wire.port)
        counted: dict[str, tuple[float, float, float, float]] = {}
        with _both(setup, ours_dsn, peer_dsn, 1, "counted") as (ours, peer):
            for name in bodies:
                mine = _counted(ours, bodies[name], setup.token, ours_wire)
                theirs = _counted(peer, peer_bodies[name], setup.token, peer_wire)
                counted[name] = (*mine, *theirs)
    return counted


def _counted(
    side: _Running, body: dict[str, Any], token: str, wire: WireCounter
) -> tuple[float, float]:
    """(statements, round trips) per request over COUNTED_REQUESTS sequential requests,
    after warming up (connection setup and statement preparation are not per request)."""
    for _ in range(5):
        wait_answering(side.url, body, token, side.exited)
    before = wire.snapshot()
    for _ in range(COUNTED_REQUESTS):
        check_reply(post_graphql(side.url, body, token), side.url)
    time.sleep(0.2)  # a pool's release-time reset may trail the response
    after = wire.snapshot()
    return (
        (after.statements - before.statements) / COUNTED_REQUESTS,
        (after.round_trips - before.round_trips) / COUNTED_REQUESTS,
    )


def _round(setup: Setup, side: _Running, script: Path) -> Round:
    """One measured wrk run of ``side`` with its server and PostgreSQL CPU."""
    db_port = db_address(setup.dsn)[1]
    pg_before = backend_snapshot(setup.dsn, side.pids, db_port)
    cpu_before = tree_cpu_seconds(side.pids)
    load = run_wrk(setup.wrk, side.url, script, setup.seconds)
    cpu = tree_cpu_seconds(side.pids) - cpu_before
    pg_ms = cpu_ms_between(pg_before, backend_snapshot(setup.dsn, side.pids, db_port))
    problem = side.exited()
    if problem:
        raise ServerError(problem)
    return Round(
        load.rps, load.p50_ms, load.p99_ms, cpu * 1000 / load.requests, pg_ms / load.requests
    )


def measure_versus(
    setup: Setup,
    processes: int,
    pairs: int,
    counted: Mapping[str, tuple[float, float, float, float]],
) -> Versus:
    """Both servers with ``processes`` each: answers checked, then ``pairs`` interleaved
    rounds per query; statement counts from ``counted`` (see count_statements)."""
    tag = f"{processes}x"
    bodies = payloads(setup.data.company_id, setup.data.document_id)
    peer_bodies = peer_payloads(setup.data.company_id, setup.data.document_id)
    print(f"[versus {tag}] starting vanta serve and PostGraphile", flush=True)
    with _both(setup, setup.dsn, setup.dsn, processes, tag) as (ours, peer):
        matched, mine, theirs = _answers(setup, ours, peer)
        print(f"[versus {tag}] same answers: {matched}", flush=True)
        result = Versus(processes, {}, {}, matched)
        scripts = {}
        for name in bodies:
            headers = {key.lower(): value for key, value in mine[name].headers.items()}
            statements = counted[name]
            result.ours[name] = SideQuery(
                bytes=mine[name].size,
                statements=statements[0],
                wire_round_trips=statements[1],
                header_round_trips=headers.get(ROUND_TRIPS_HEADER, "?"),
            )
            result.peer[name] = SideQuery(
                bytes=theirs[name].size, statements=statements[2], wire_round_trips=statements[3]
            )
            scripts[name] = (
                write_script(WORK / f"versus-ours-{name}.lua", bodies[name], setup.token),
                write_script(WORK / f"versus-peer-{name}.lua", peer_bodies[name], setup.token),
            )
            for side, script in zip((ours, peer), scripts[name], strict=True):
                run_wrk(setup.wrk, side.url, script, WARMUP_SECONDS, warm_up=True)
        for pair in range(1, pairs + 1):
            for name, (ours_script, peer_script) in scripts.items():
                mine_round = _round(setup, ours, ours_script)
                theirs_round = _round(setup, peer, peer_script)
                result.ours[name].rounds.append(mine_round)
                result.peer[name].rounds.append(theirs_round)
                print(
                    f"[versus {tag}] pair {pair}/{pairs} {name}: ours {mine_round.rps:,.0f} "
                    f"req/s, peer {theirs_round.rps:,.0f} req/s",
                    flush=True,
                )
        result.rss_ours_mib = tree_rss_mib(ours.pids)
        result.rss_peer_mib = tree_rss_mib(peer.pids)
    return result
