"""Render bench results: the console table and bench/RESULTS.md."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.wrk import CONNECTIONS, THREADS, WrkResult

__all__ = [
    "Dataset",
    "Machine",
    "ModeResult",
    "console_table",
    "machine",
    "markdown",
    "markdown_table",
    "text_table",
]

COMMAND = "make bench"


@dataclass(frozen=True, slots=True)
class Dataset:
    """What the server is measured against."""

    source: str
    postgres: str
    companies: int
    documents: int
    metadata: int
    ledger_entries: int
    company_id: int
    document_id: int


@dataclass(frozen=True, slots=True)
class Machine:
    """Where the numbers were taken."""

    cpus: int
    cpu_model: str
    python: str
    wrk: str


@dataclass(frozen=True, slots=True)
class ModeResult:
    """Everything measured for one server mode (fast path, stock, or naive)."""

    mode: str
    cold_start_ms: float
    idle_rss_mib: float
    round_trips: dict[str, str]
    response_bytes: dict[str, int]
    loads: dict[str, WrkResult]
    cpu_ms: dict[str, float]  # server process CPU time per request, in ms


def machine(wrk_version: str) -> Machine:
    """Describe this machine: usable CPUs (as `nproc`), CPU model, Python and wrk versions."""
    model = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    return Machine(len(os.sched_getaffinity(0)), model, sys.version.split()[0], wrk_version)


def _rows(results: list[ModeResult]) -> list[list[str]]:
    """One row per (query, mode): the figures of the main table."""
    rows = []
    for query in results[0].loads:
        for result in results:
            load = result.loads[query]
            rows.append(
                [
                    query,
                    result.mode,
                    f"{load.rps:,.1f}",
                    f"{load.p50_ms:.2f}",
                    f"{load.p99_ms:.2f}",
                    f"{result.cpu_ms[query]:.2f}",
                    result.round_trips[query],
                    f"{result.response_bytes[query]:,}",
                ]
            )
    return rows


def _ratio_rows(modes: dict[str, ModeResult]) -> list[list[str]]:
    """Per query: fast/stock and stock/naive ratios of requests/s and of CPU per request."""
    fast, stock, naive = modes["fast"], modes["stock"], modes["naive"]
    return [
        [
            query,
            f"{fast.loads[query].rps / stock.loads[query].rps:.2f}",
            f"{stock.cpu_ms[query] / fast.cpu_ms[query]:.2f}",
            f"{stock.loads[query].rps / naive.loads[query].rps:.2f}",
        ]
        for query in fast.loads
    ]


def _cache_rows(uncached: ModeResult, cached: ModeResult) -> list[list[str]]:
    """Per query: uncached (fast mode, cache off) against cache hits (cached mode)."""
    rows = []
    for query in uncached.loads:
        cold, hit = uncached.loads[query], cached.loads[query]
        rows.append(
            [
                query,
                f"{cold.rps:,.1f}",
                f"{hit.rps:,.1f}",
                f"{hit.rps / cold.rps:.1f}",
                f"{cold.p50_ms:.2f}",
                f"{hit.p50_ms:.2f}",
            ]
        )
    return rows


def _mode_rows(results: list[ModeResult]) -> list[list[str]]:
    """Per mode: cold start and idle RSS."""
    return [[r.mode, f"{r.cold_start_ms:.0f}", f"{r.idle_rss_mib:.1f}"] for r in results]


MAIN_HEADER = [
    "query",
    "mode",
    "requests/s",
    "p50 ms",
    "p99 ms",
    "CPU ms/request",
    "round trips",
    "bytes",
]
RATIO_HEADER = [
    "query",
    "requests/s fast/stock",
    "CPU per request stock/fast",
    "requests/s stock/naive",
]
MODE_HEADER = ["mode", "cold start ms", "idle RSS MiB"]
CACHE_HEADER = [
    "query",
    "uncached req/s",
    "cache hit req/s",
    "hit/uncached",
    "uncached p50 ms",
    "hit p50 ms",
]


def _markdown_table(header: list[str], rows: list[list[str]], text_columns: int = 1) -> str:
    """A GitHub-flavoured Markdown table; the first ``text_columns`` left-aligned, numbers right."""
    align = ["---"] * text_columns + ["--:"] * (len(header) - text_columns)
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def _text_table(header: list[str], rows: list[list[str]], text_columns: int = 1) -> str:
    """A plain aligned table for the terminal, laid out like _markdown_table."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    render = [
        "  ".join(
            cell.ljust(w) if i < text_columns else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, *rows]
    ]
    return "\n".join(render)


# Public names for the other report modules (versus, sweep) to lay out tables alike.
markdown_table = _markdown_table
text_table = _text_table


def _by_mode(results: list[ModeResult]) -> dict[str, ModeResult]:
    return {result.mode: result for result in results}


def console_table(results: list[ModeResult], cache_key_us: float) -> str:
    """The tables for the terminal."""
    modes = _by_mode(results)
    return "\n\n".join(
        [
            _text_table(MAIN_HEADER, _rows(results), text_columns=2),
            _text_table(RATIO_HEADER, _ratio_rows(modes)),
            _text_table(CACHE_HEADER, _cache_rows(modes["fast"], modes["cached"])),
            f"cache key: {cache_key_us:.2f} µs per key",
            _text_table(MODE_HEADER, _mode_rows(results)),
        ]
    )


def markdown(
    date: str,
    host: Machine,
    data: Dataset,
    seconds: int,
    results: list[ModeResult],
    cache_key_us: float,
) -> str:
    """The full RESULTS.md text."""
    modes = _by_mode(results)
    return f"""# Benchmark results

Generated by `bench/run.py` on {date}; this file is overwritten by every run.

## Setup

- Machine: {host.cpus} CPUs (`nproc`), {host.cpu_model}; Python {host.python}; {host.wrk}. wrk, the server and PostgreSQL run on this same machine.
- Database: {data.source}, PostgreSQL {data.postgres}.
- Dataset: {data.companies:,} companies, {data.documents:,} documents, {data.metadata:,} document metadata rows, {data.ledger_entries:,} ledger entries.
- Queries (`bench/queries.py`): Q1 = newest 100 documents of company {data.company_id}; Q2 = first 10 companies with their newest 10 documents each; Q3 = document {data.document_id} by id.
- One `vanta serve` process per mode, with `VANTA_DEBUG=1`: `fast` (DataLoaders and the execution fast path), `stock` (`VANTA_FASTPATH=off`: stock Strawberry execution with DataLoaders) and `naive` (`VANTA_LOADERS=off VANTA_FASTPATH=off`: one query per row), each with `VANTA_CACHE=off` so every request executes; then `cached` (the default configuration: fast path, loaders and the in-process response cache, so after the first request every answer is a hit).
- CPU ms/request: CPU time (user + system) of the server process during the measured run, divided by the requests it served (psutil). PostgreSQL's and wrk's CPU are not included.
- Load: wrk, {CONNECTIONS} connections, {THREADS} threads, {seconds} s per query after a 1 s warm-up, POST with a bearer token. Latencies are wrk's, with {CONNECTIONS} requests in flight against one server process, so they include queueing in the server.
- Round trips: the `X-DB-Round-Trips` header (two requests per query; a range if they differ). Bytes: size of one response body.
- Cold start: from spawning `vanta serve` (database already migrated) to the first successful Q3 answer. Idle RSS: the server process after warming up every query and 1 s without requests.

## Throughput and latency

{_markdown_table(MAIN_HEADER, _rows(results), text_columns=2)}

## Fast path versus stock, loaders versus naive

{_markdown_table(RATIO_HEADER, _ratio_rows(modes))}

## Response cache

Uncached is the `fast` mode (the same server with `VANTA_CACHE=off`), cache hits the `cached`
mode; the same queries, tokens and load.

{_markdown_table(CACHE_HEADER, _cache_rows(modes["fast"], modes["cached"]))}

Computing a cache key (sha256 over the query digest, operation name, canonical variables and
tenant scope; `bench/cache_key.py`, median of 7 runs of 20,000 keys): **{cache_key_us:.2f} µs**.

## Start and memory

{_markdown_table(MODE_HEADER, _mode_rows(results))}

## Reproduce

```sh
{COMMAND}
```
"""
