"""Hostile documents: the worst validation time among those the prechecks let through, and
``/healthz`` p99 while they arrive.

    python -m bench.hostile                 # in-process validation times only
    python -m bench.hostile --http DSN      # also a server on DSN under hostile load

Each family is scaled up to the largest size that still passes the prechecks and the token
limit (the documents an attacker would send), then parsed and validated with the server's
own rules; the figure is the median of three runs per document. ``--limits off`` measures the
same families with the prechecks disabled, to show what they buy.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import orjson
from graphql import GraphQLError, parse, specified_rules, validate

from app.config import Settings
from app.documents.precheck import DocumentBudget, budget_for, precheck_document
from bench.gc_serve import MIN_MS, pauses
from bench.server import wait_until_up
from schema.build import build_schema

Family = Callable[[int], str]
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _wide_same(n: int) -> str:
    return "{ companies(first: 1) { nodes { " + "projects { company { id } } " * n + "} } }"


def _wide_same_nested(n: int) -> str:
    inner = "projects { company { id name } } " * n
    return "{ " + f"companies {{ nodes {{ {inner} }} }} " * n + "}"


def _fragment_fan(n: int) -> str:
    fragments = "".join(
        f"fragment F{i} on Company {{ projects {{ company {{ id }} }} name }} " for i in range(n)
    )
    spreads = " ".join(f"...F{i}" for i in range(n))
    return f"{{ companies {{ nodes {{ {spreads} }} }} }} {fragments}"


def _fragment_chain(n: int) -> str:
    fragments = "".join(
        f"fragment F{i} on Company {{ ...F{i + 1} projects {{ company {{ ...F{i + 1} }} }} }} "
        for i in range(n)
    )
    return f"{{ companies {{ nodes {{ ...F0 }} }} }} {fragments}fragment F{n} on Company {{ id }}"


def _conflicting_args(n: int) -> str:
    body = " ".join(f"documents(first: {i % 50 + 1}) {{ nodes {{ id }} }}" for i in range(n))
    return "{ companies { nodes { " + body + " } } }"


def _unknown_fields(n: int) -> str:
    return "{ companies { nodes { " + " ".join(f"nam{i}" for i in range(n)) + " } } }"


def _deep(n: int) -> str:
    return "{ companies { nodes { " + "projects { company { " * n + "id" + " } }" * n + " } } }"


def _directives(n: int) -> str:
    return "{ " + " ".join(f"f{i}: __typename @skip(if: false)" for i in range(n)) + " }"


def _many_operations(n: int) -> str:
    op = "{ companies { nodes { " + "projects { company { id } } " * 10 + "} } }"
    return " ".join(f"query Q{i} {op}" for i in range(n))


def _inline_fan(n: int) -> str:
    return (
        "{ companies { nodes { " + "... on Company { projects { company { id } } } " * n + "} } }"
    )


FAMILIES: dict[str, Family] = {
    "same field repeated in one set": _wide_same,
    "same field repeated, nested": _wide_same_nested,
    "fragments spread side by side": _fragment_fan,
    "fragment chain (each spread twice)": _fragment_chain,
    "same field, conflicting arguments": _conflicting_args,
    "unknown fields (suggestions)": _unknown_fields,
    "deep nesting": _deep,
    "directives": _directives,
    "many operations": _many_operations,
    "inline fragments side by side": _inline_fan,
}


def largest_passing(family: Family, budget: DocumentBudget, limit: int = 2000) -> int:
    """The largest n whose document passes the prechecks and the token limit."""
    best = 0
    low, high = 1, limit
    while low <= high:
        mid = (low + high) // 2
        query = family(mid)
        try:
            parse(query, max_tokens=budget.max_tokens)
            passes = precheck_document(query, budget) is None
        except GraphQLError:
            passes = False
        if passes:
            best, low = mid, mid + 1
        else:
            high = mid - 1
    return best


def validation_ms(settings: Settings, query: str) -> float:
    """Median of three parse + validate runs with the server's rules, in milliseconds."""
    schema = build_schema(settings)
    rules = [*specified_rules, *schema.query_rules]
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        document = parse(query, max_tokens=settings.max_tokens)
        validate(schema._schema, document, rules)
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def hostile_documents(settings: Settings) -> Iterator[tuple[str, int, str]]:
    budget = budget_for(settings)
    for name, family in FAMILIES.items():
        n = largest_passing(family, budget)
        if n:
            yield name, n, family(n)


def _unbounded(settings: Settings) -> Settings:
    big = 10**6
    return replace(
        settings, max_selections=big, max_fields=big, max_fragment_spreads=big, max_directives=big
    )


def report_validation(settings: Settings) -> float:
    worst = 0.0
    for name, n, query in hostile_documents(settings):
        ms = validation_ms(settings, query)
        worst = max(worst, ms)
        print(f"  {name:40s} n={n:5d} {len(query):6d} bytes  {ms:8.1f} ms")
    print(f"  worst validation time: {worst:.1f} ms")
    return worst


def healthz_under_load(
    settings: Settings, dsn: str, seconds: float, port: int, clients: int = 2
) -> None:
    """p50/p99 of /healthz while ``clients`` clients send the hostile documents without
    pause (0: the same probe on an idle server, the machine's own floor)."""
    from bench.server import running_server

    env = dict(os.environ)
    env.update(
        VANTA_DATABASE_URL=dsn,
        VANTA_PORT=str(port),
        VANTA_RATE_LIMIT_PER_MINUTE="0",
        VANTA_RATE_LIMIT_PER_HOUR="0",
        VANTA_DATA_DIR=str(Path(".vanta/bench-hostile").resolve()),
        VANTA_SEED_DEMO="0",
    )
    for name in ("max_selections", "max_fields", "max_fragment_spreads", "max_directives"):
        env[f"VANTA_{name.upper()}"] = str(getattr(settings, name))
    documents = [query for _, _, query in hostile_documents(settings)]
    log = Path(".vanta/bench-hostile/server.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    # The server runs under bench.gc_serve, so its collections are timed too.
    command = [sys.executable, "-m", "bench.gc_serve", "serve"]
    with running_server(env, log, command) as server:
        base = server.url.rsplit("/", 1)[0]
        wait_until_up(base + "/healthz")
        stop = threading.Event()
        sent = [0]

        def attack(client: int) -> None:
            i = 0
            while not stop.is_set():
                # A changed comment each time, and another per client: no cache of raw
                # text can help (with one counter for both, every text came twice).
                comment = f"# {client}-{i}\n"
                body = orjson.dumps({"query": comment + documents[i % len(documents)]})
                request = urllib.request.Request(
                    server.url, data=body, headers={"Content-Type": "application/json"}
                )
                with contextlib.suppress(Exception):  # 4xx answers are expected
                    _OPENER.open(request, timeout=30).read()
                i += 1
                sent[0] += 1

        attackers = [
            threading.Thread(target=attack, args=(k,), daemon=True) for k in range(clients)
        ]
        for thread in attackers:
            thread.start()
        latencies = []
        load_started = time.time()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            _OPENER.open(base + "/healthz", timeout=30).read()
            latencies.append((time.perf_counter() - started) * 1000)
            time.sleep(0.01)
        stop.set()
        load_ended = time.time()
        for thread in attackers:
            thread.join()
    collections = pauses(log, load_started, load_ended)
    latencies.sort()
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"  /healthz under hostile load: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        f"({len(latencies)} probes, {sent[0]} hostile requests in {seconds:.0f} s)"
    )
    full = sorted(ms for generation, ms in collections if generation == 2)
    young = sorted(ms for generation, ms in collections if generation < 2)
    print(
        f"  garbage collections meanwhile: {len(full)} full, longest {max(full, default=0):.1f}"
        f" ms; {len(young)} young of {MIN_MS:.0f} ms or more, longest "
        f"{max(young, default=0):.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http", metavar="DSN", help="also measure /healthz on a server on DSN")
    parser.add_argument("--limits", choices=["on", "off"], default="on")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--port", type=int, default=8120)
    parser.add_argument(
        "--clients", type=int, default=2, help="hostile clients (0: the idle floor)"
    )
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.limits == "off":
        settings = _unbounded(settings)
    print(f"hostile documents, prechecks {args.limits} ({budget_for(settings)}):")
    report_validation(settings)
    if args.http:
        healthz_under_load(settings, args.http, args.seconds, args.port, args.clients)
    return 0


if __name__ == "__main__":
    sys.exit(main())
