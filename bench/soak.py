"""Soak: many distinct cacheable requests against one server; RSS before, during and after.

    python -m bench.soak DSN [--requests 1000000] [--seconds 840] [--port 8122]

Every request is a different document (``{ a<i>: __typename }`` with a varying alias), so
every answer is a new response-cache entry, a new prepared document and a new entry in the
normalized-digest and query-digest memos. With the budgets holding, RSS grows by at most
the bounded stores' budgets during the warm-up (the first ``--warmup`` requests, which fill
them), then stays flat. The accounting: the sum of every bounded store's configured budget
(response cache, APQ store and memo, prepared documents, token memo; rate limiting is off),
growth past that sum, and growth after the warm-up, each as a share of the sum. The run
stops at ``--requests`` or after ``--seconds``, whichever comes first, and says how many
it sent.
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
from bench.server import running_server, wait_until_up

SECRET = "soak-secret-not-for-production-0123456789"
MIB = 2**20
# Bounded stores without a VANTA_* setting: their constructors' defaults
# (app/persisted/apq.py memo_max_bytes, app/auth.py TokenVerifier max_bytes).
APQ_MEMO_BYTES = 4 * MIB
TOKEN_MEMO_BYTES = 8 * MIB


async def _soak(
    url: str, total: int, seconds: float, concurrency: int, sample: Callable[[int], None]
) -> int:
    """Send up to ``total`` distinct requests (stop after ``seconds``); return how many."""
    token = issue_token(SECRET, subject="soak", role="viewer", companies="*")
    headers = {"Authorization": f"Bearer {token}"}
    counter = iter(range(total))
    deadline = time.perf_counter() + seconds
    done = [0]

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in counter:
            payload = {"query": f"{{ a{i}: __typename }}"}
            async with session.post(url, json=payload, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"request {i}: HTTP {response.status}")
            done[0] += 1
            sample(done[0])
            if time.perf_counter() > deadline:
                return

    connector = aiohttp.TCPConnector(limit=concurrency)  # keep-alive, one socket per worker
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return done[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dsn")
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=840.0, help="stop after this long")
    parser.add_argument("--warmup", type=int, default=50_000)
    parser.add_argument("--every", type=int, default=100_000, help="an RSS row every N")
    parser.add_argument("--cache-mib", type=int, default=4)
    parser.add_argument("--documents-mib", type=int, default=8)
    parser.add_argument("--apq-mib", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--port", type=int, default=8122)
    args = parser.parse_args(argv)
    budgets = {
        "response cache": args.cache_mib * MIB,
        "prepared documents": args.documents_mib * MIB,
        "APQ store": args.apq_mib * MIB,
        "APQ memo": APQ_MEMO_BYTES,
        "token memo": TOKEN_MEMO_BYTES,
    }
    budget = sum(budgets.values())
    env = dict(os.environ)
    env.update(
        VANTA_DATABASE_URL=args.dsn,
        VANTA_PORT=str(args.port),
        VANTA_JWT_SECRET=SECRET,
        VANTA_CACHE_MAX_BYTES=str(budgets["response cache"]),
        VANTA_DOCUMENT_CACHE_MAX_BYTES=str(budgets["prepared documents"]),
        VANTA_APQ_MAX_BYTES=str(budgets["APQ store"]),
        VANTA_RATE_LIMIT_PER_MINUTE="0",
        VANTA_RATE_LIMIT_PER_HOUR="0",
        VANTA_DATA_DIR=str(Path(".vanta/bench-soak").resolve()),
        VANTA_SEED_DEMO="0",
    )
    log = Path(".vanta/bench-soak/server.log")
    with running_server(env, log) as server:
        wait_until_up(server.url.rsplit("/", 1)[0] + "/healthz")
        before = server.rss_mib()
        started = time.perf_counter()
        curve: dict[int, float] = {}

        def sample(done: int) -> None:
            if done != args.warmup and done % args.every:
                return
            rss = curve[done] = server.rss_mib()
            rate = done / (time.perf_counter() - started)
            note = "  (end of warm-up)" if done == args.warmup else ""
            print(f"  {done:9,d} requests  RSS {rss:7.1f} MiB  ({rate:,.0f} req/s){note}")
            sys.stdout.flush()

        listed = ", ".join(f"{name} {size / MIB:.0f}" for name, size in budgets.items())
        print(f"soak: up to {args.requests:,} distinct requests or {args.seconds:.0f} s")
        print(f"  bounded stores (MiB): {listed}; sum {budget / MIB:.0f} MiB")
        print(f"  before: RSS {before:.1f} MiB", flush=True)
        sent = asyncio.run(_soak(server.url, args.requests, args.seconds, args.concurrency, sample))
        elapsed = time.perf_counter() - started
        after = curve[sent] = server.rss_mib()
    peak = max(curve.values())
    growth = (peak - before) * MIB
    print(
        f"  after {sent:,} requests in {elapsed:.0f} s ({sent / elapsed:,.0f} req/s): "
        f"RSS {after:.1f} MiB, peak {peak:.1f} MiB, growth {growth / MIB:+.1f} MiB"
    )
    beyond = max(0.0, growth - budget)
    print(
        f"  growth beyond the {budget / MIB:.0f} MiB of budgets: {beyond / MIB:.1f} MiB "
        f"({beyond / budget:.1%} of the budgets)"
    )
    if args.warmup in curve and sent > args.warmup:
        warm = curve[args.warmup]
        later = max(rss for done, rss in curve.items() if done >= args.warmup) - warm
        print(
            f"  after the warm-up ({args.warmup:,} requests, RSS {warm:.1f} MiB): "
            f"{later:+.1f} MiB over the remaining {sent - args.warmup:,} "
            f"({later * MIB / budget:.1%} of the budgets)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
