"""What the bench's runs share: the work folder, a server's environment, the probe that
checks round trips and execution paths, and the setup every measured mode gets.

(In its own module so bench.run and bench.backends can both use it without importing
each other.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import Dataset
from bench.server import Server, ServerError, check_reply, free_port, post_graphql

__all__ = ["WORK", "Setup", "probe", "server_env"]

WORK = Path(__file__).resolve().parent / ".work"
ROUND_TRIPS_HEADER = "x-db-round-trips"
EXECUTION_PATH_HEADER = "x-execution-path"


def server_env(dsn: str, secret: str, mode_env: Mapping[str, str]) -> dict[str, str]:
    """The server's environment: ours without inherited VANTA_* settings, plus the bench's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("VANTA_")}
    env.update(
        VANTA_DATABASE_URL=dsn,
        VANTA_HOST="127.0.0.1",
        VANTA_PORT=str(free_port()),
        VANTA_DEBUG="1",
        VANTA_SEED_DEMO="0",
        VANTA_JWT_SECRET=secret,
        # wrk is one client hammering the server: measure execution, not the rate limiter
        VANTA_RATE_LIMIT_PER_MINUTE="0",
        VANTA_RATE_LIMIT_PER_HOUR="0",
        # Naive mode queues ~200 queries per request for the pool under 16 connections;
        # on a slow machine that outlasts the default 2 s wait for a connection. Measure
        # how slow it is rather than fail it.
        VANTA_DB_ACQUIRE_TIMEOUT_SECONDS="30",
    )
    env.update(mode_env)
    return env


def probe(
    server: Server,
    bodies: Mapping[str, dict[str, Any]],
    token: str,
    paths: frozenset[str | None],
) -> tuple[dict[str, str], dict[str, int]]:
    """Round trips per request (X-DB-Round-Trips, two requests each) and response sizes;
    ServerError unless every answer came from an execution path the mode is about (None:
    no X-Execution-Path header, i.e. a response-cache hit)."""
    trips: dict[str, str] = {}
    sizes: dict[str, int] = {}
    for name, body in bodies.items():
        seen = set()
        for _ in range(2):
            reply = post_graphql(server.url, body, token)
            check_reply(reply, name)
            headers = {key.lower(): value for key, value in reply.headers.items()}
            if ROUND_TRIPS_HEADER not in headers:
                raise ServerError(f"{name}: no X-DB-Round-Trips header although VANTA_DEBUG=1")
            seen.add(int(headers[ROUND_TRIPS_HEADER]))
            if headers.get(EXECUTION_PATH_HEADER) not in paths:
                raise ServerError(
                    f"{name}: served by {headers.get(EXECUTION_PATH_HEADER)!r}, not {paths!r}"
                )
            sizes[name] = reply.size
        low, high = min(seen), max(seen)
        trips[name] = str(low) if low == high else f"{low}-{high}"
    return trips, sizes


@dataclass(frozen=True, slots=True)
class Setup:
    """What every mode shares: database, secrets, queries, load duration, wrk binary."""

    dsn: str
    secret: str
    token: str
    data: Dataset
    seconds: int
    wrk: str
