"""Subscriptions bench: commit → delivery latency with 1,000 idle subscribers, RSS per subscriber.

Starts one `vanta serve` on a throwaway database, measures its RSS, connects N idle
graphql-transport-ws subscribers (company B, one token subject each), measures RSS again,
then processes documents of company A one at a time (the worker's UPDATE + NOTIFY
transaction, app/events/publish.py) and times each from just before that transaction to
the probe subscriber's ``next`` message. A second round processes documents of company B,
which every idle subscriber receives: the time until the last of them has it.

    python -m bench.subscriptions [--subscribers 1000] [--events 200] [--fanout-events 20]

PostgreSQL: VANTA_BENCH_ADMIN_URL, else postgresql://postgres@127.0.0.1:5432/postgres.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import asyncpg
import orjson

from app.auth import issue_token
from app.events.publish import publish_processed
from app.migrate import apply_migrations
from bench.server import running_server

SECRET = "bench-secret-not-for-production-0123456789"
ADMIN_URL = os.environ.get("VANTA_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
WORK = Path(__file__).resolve().parent / ".work"
QUERY = "subscription($c: ID) { documentProcessed(companyId: $c) { id filename company { name } } }"
POLL_SECONDS = 0.05


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def _database() -> tuple[str, str, int, int]:
    name = f"vanta_bench_rt_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(ADMIN_URL)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    await apply_migrations(url)
    conn = await asyncpg.connect(url)
    ids = [
        await conn.fetchval(
            "INSERT INTO companies (name, registration_number, company_type) "
            "VALUES ($1, $1, 'subsidiary') RETURNING id",
            label,
        )
        for label in ("Bench A", "Bench B")
    ]
    await conn.close()
    return name, url, ids[0], ids[1]


async def _drop(name: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


class Subscriber:
    """One connection with one subscription; records when each document arrives."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.arrivals: dict[str, float] = {}
        self.arrived = asyncio.Event()
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = orjson.loads(message.data)
            if data.get("type") == "next":
                if data["payload"].get("errors"):
                    raise RuntimeError(f"subscription error: {data['payload']['errors']}")
                doc = data["payload"]["data"]["documentProcessed"]["id"]
                self.arrivals[doc] = time.perf_counter()
                self.arrived.set()


async def _subscriber(
    session: aiohttp.ClientSession, url: str, subject: str, company: int
) -> Subscriber:
    token = issue_token(SECRET, subject=subject, role="viewer", companies=[company])
    ws = await session.ws_connect(url, protocols=["graphql-transport-ws"], max_msg_size=0)
    await ws.send_str(
        orjson.dumps(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        ).decode()
    )
    ack = await ws.receive(timeout=30)
    assert orjson.loads(ack.data)["type"] == "connection_ack", ack
    payload = {"query": QUERY, "variables": {"c": str(company)}}
    await ws.send_str(orjson.dumps({"id": "1", "type": "subscribe", "payload": payload}).decode())
    return Subscriber(ws)


async def _held(session: aiohttp.ClientSession, base: str, count: int) -> None:
    while True:
        async with session.get(f"{base}/metrics") as response:
            for line in (await response.text()).splitlines():
                if (
                    line.startswith("vanta_subscriptions_active ")
                    and float(line.split()[1]) >= count
                ):
                    return
        await asyncio.sleep(POLL_SECONDS)


async def _process(url: str, company: int) -> tuple[str, float]:
    conn = await asyncpg.connect(url)
    try:
        doc = await conn.fetchval(
            "INSERT INTO documents (company_id, filename, document_type, category) "
            "VALUES ($1, 'bench.pdf', 'invoice', 'financial') RETURNING id",
            company,
        )
        started = time.perf_counter()
        await publish_processed(conn, doc)
        return str(doc), started
    finally:
        await conn.close()


async def run(subscribers: int, events: int, fanout_events: int) -> None:
    name, db_url, company_a, company_b = await _database()
    port = int(os.environ.get("VANTA_BENCH_PORT", "8107"))
    _raise_file_limit(2 * subscribers + 256)  # both ends' sockets; the server inherits it
    env = {
        **os.environ,
        "VANTA_DATABASE_URL": db_url,
        "VANTA_JWT_SECRET": SECRET,
        "VANTA_PORT": str(port),
        "VANTA_DATA_DIR": str(WORK / "rt-data"),
        "VANTA_SEED_DEMO": "0",
        "VANTA_RATE_LIMIT_PER_MINUTE": "0",
        "VANTA_RATE_LIMIT_PER_HOUR": "0",
        "VANTA_SUBSCRIPTION_MAX_CONNECTIONS": str(subscribers + 10),
    }
    base = f"http://127.0.0.1:{port}"
    try:
        with running_server(env, WORK / "subscriptions-serve.log") as server:
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as session:
                while True:
                    try:
                        async with session.get(f"{base}/healthz") as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientError:
                        await asyncio.sleep(POLL_SECONDS)
                probe = await _subscriber(session, f"{base}/graphql", "probe", company_a)
                await _held(session, base, 1)
                rss_before = server.rss_mib()
                idle = []
                for start in range(0, subscribers, 100):
                    batch = range(start, min(start + 100, subscribers))
                    idle += await asyncio.gather(
                        *(
                            _subscriber(session, f"{base}/graphql", f"idle-{i}", company_b)
                            for i in batch
                        )
                    )
                await _held(session, base, subscribers + 1)
                rss_after = server.rss_mib()
                latencies = []
                for _ in range(events):
                    probe.arrived.clear()
                    doc, started = await _process(db_url, company_a)
                    while doc not in probe.arrivals:
                        await asyncio.wait_for(probe.arrived.wait(), 30)
                        probe.arrived.clear()
                    latencies.append((probe.arrivals[doc] - started) * 1000)
                fanout = []
                for _ in range(fanout_events):
                    doc, started = await _process(db_url, company_b)
                    for subscriber in idle:
                        while doc not in subscriber.arrivals:
                            subscriber.arrived.clear()
                            await asyncio.wait_for(subscriber.arrived.wait(), 60)
                    fanout.append((max(s.arrivals[doc] for s in idle) - started) * 1000)
                for subscriber in [probe, *idle]:
                    await subscriber.ws.close()
    finally:
        await _drop(name)
    per_subscriber_kib = (rss_after - rss_before) * 1024 / subscribers
    print(f"subscriptions bench: one vanta serve process, {subscribers} idle subscribers")
    print("| measure | value |")
    print("|---|--:|")
    print(
        f"| commit → delivery p50 (one subscriber, {subscribers} idle connected) | {statistics.median(latencies):.2f} ms |"
    )
    print(f"| commit → delivery p99 | {_percentile(latencies, 0.99):.2f} ms |")
    print(
        f"| fan-out to all {subscribers}: last delivery p50 | {statistics.median(fanout):.1f} ms |"
    )
    print(
        f"| fan-out to all {subscribers}: last delivery p99 | {_percentile(fanout, 0.99):.1f} ms |"
    )
    print(f"| RSS before / after connecting | {rss_before:.1f} / {rss_after:.1f} MiB |")
    print(f"| RSS per idle subscriber (connection + subscription) | {per_subscriber_kib:.1f} KiB |")
    print(f"({events} timed events, {fanout_events} fan-out events)")


def _raise_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--fanout-events", type=int, default=20)
    args = parser.parse_args(argv)
    asyncio.run(run(args.subscribers, args.events, args.fanout_events))
    return 0


if __name__ == "__main__":
    sys.exit(main())
