"""Soak: many distinct cacheable requests against one server; RSS before, during and after.

    python -m bench.soak DSN [--requests 1000000] [--cache-mib 4] [--port 8122]

Every request is a different document (``{ a<i>: __typename }`` with a varying alias), so
every answer is a new response-cache entry, a new parsed document and a new precheck memo
entry. With the budgets holding, RSS grows by the cache budget and the fixed-count caches'
share, then stays flat; the last line says how far growth went past the response-cache
budget.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp

from app.auth import issue_token
from bench.server import running_server

SECRET = "soak-secret-not-for-production-0123456789"


async def _soak(url: str, total: int, concurrency: int, sample: Callable[[int], None]) -> None:
    token = issue_token(SECRET, subject="soak", role="viewer", companies="*")
    headers = {"Authorization": f"Bearer {token}"}
    counter = iter(range(total))
    every = max(1, total // 10)

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in counter:
            payload = {"query": f"{{ a{i}: __typename }}"}
            async with session.post(url, json=payload, headers=headers) as response:
                await response.read()
            if (i + 1) % every == 0:
                sample(i + 1)

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))


def _wait_until_up(server_url: str) -> None:
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.perf_counter() + 60
    while True:
        try:
            opener.open(server_url.rsplit("/", 1)[0] + "/healthz", timeout=2).read()
            return
        except OSError:
            if time.perf_counter() > deadline:
                raise
            time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dsn")
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--cache-mib", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--port", type=int, default=8122)
    args = parser.parse_args(argv)
    budget = args.cache_mib * 2**20
    env = dict(os.environ)
    env.update(
        VANTA_DATABASE_URL=args.dsn,
        VANTA_PORT=str(args.port),
        VANTA_JWT_SECRET=SECRET,
        VANTA_CACHE_MAX_BYTES=str(budget),
        VANTA_RATE_LIMIT_PER_MINUTE="0",
        VANTA_RATE_LIMIT_PER_HOUR="0",
        VANTA_DATA_DIR=str(Path(".vanta/bench-soak").resolve()),
        VANTA_SEED_DEMO="0",
    )
    log = Path(".vanta/bench-soak/server.log")
    with running_server(env, log) as server:
        _wait_until_up(server.url)
        before = server.rss_mib()
        started = time.perf_counter()
        curve: list[tuple[int, float]] = []

        def sample(done: int) -> None:
            rss = server.rss_mib()
            curve.append((done, rss))
            rate = done / (time.perf_counter() - started)
            print(f"  {done:9,d} requests  RSS {rss:7.1f} MiB  ({rate:,.0f} req/s)", flush=True)

        print(f"soak: {args.requests:,} distinct requests, cache budget {args.cache_mib} MiB")
        print(f"  before: RSS {before:.1f} MiB", flush=True)
        asyncio.run(_soak(server.url, args.requests, args.concurrency, sample))
        after = server.rss_mib()
    peak = max(rss for _, rss in curve) if curve else after
    growth = (peak - before) * 2**20
    beyond = max(0.0, growth - budget)
    print(f"  after: RSS {after:.1f} MiB (peak {peak:.1f} MiB, growth {growth / 2**20:.1f} MiB)")
    if len(curve) > 1:
        first = curve[0][1]
        print(
            f"  after the first {curve[0][0]:,} requests (caches warm): "
            f"{peak - first:+.1f} MiB over the remaining {curve[-1][0] - curve[0][0]:,}"
        )
    print(
        f"  growth beyond the {args.cache_mib} MiB response-cache budget: "
        f"{beyond / 2**20:.1f} MiB ({beyond / budget:.0%} of the budget)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
