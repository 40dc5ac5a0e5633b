"""A/B two checkouts of this project on the bench database: `python -m bench.ab OLD NEW [SECONDS]
[PAIRS] [Q1,Q2,Q3]`.

Each checkout's `vanta serve` (one worker, cache and rate limits off) runs from that checkout's
source (PYTHONPATH) with this venv; wrk alternates old, new, old, new... per query, and the
figures are medians over the pairs: requests/s, server CPU per request (the process tree) and
PostgreSQL CPU per request (every postgres process of the machine, so run it on a quiet one).
``AB_ENV_8601`` / ``AB_ENV_8602`` add ``NAME=value`` settings to the old / new server.
How the execution figures in docs/architecture.md were taken (e.g. `git worktree add /tmp/old
<rev>`, then `python -m bench.ab /tmp/old .`).
"""

import json
import os
import signal
import statistics
import subprocess
import sys

import psutil

from app.auth import issue_token
from bench.harness import WORK
from bench.queries import payloads
from bench.server import wait_until_up

SECRET = "ab-secret-0123456789abcdef0123456789abcdef"
DSN = (
    os.environ.get("VANTA_BENCH_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/vanta_bench"
)


def start(root, port):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANTA_")}
    env.update(
        **dict(x.split("=", 1) for x in os.environ.get("AB_ENV_" + str(port), "").split() if x),
        VANTA_DATABASE_URL=DSN,
        VANTA_JWT_SECRET=SECRET,
        VANTA_PORT=str(port),
        VANTA_CACHE="off",
        VANTA_SEED_DEMO="off",
        VANTA_WORKERS="1",
        PYTHONPATH=root,
        VANTA_ENV="production",
        VANTA_RATE_LIMIT_PER_MINUTE="0",
        VANTA_RATE_LIMIT_PER_HOUR="0",
    )
    WORK.mkdir(parents=True, exist_ok=True)
    log = open(WORK / f"ab-{port}.log", "w")  # noqa: SIM115 (the server writes it until stopped)
    p = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=WORK,
    )
    wait_until_up(f"http://127.0.0.1:{port}/healthz", 90)
    return p


def lua(body, token, name):
    path = WORK / f"ab-{name}.lua"
    path.write_text(
        f'wrk.method="POST"\nwrk.body={json.dumps(body)}\nwrk.headers["Content-Type"]="application/json"\nwrk.headers["Authorization"]="Bearer {token}"\n'
    )
    return path


def cpu(proc):
    ps = psutil.Process(proc.pid)
    t = ps.cpu_times().user + ps.cpu_times().system
    for c in ps.children(recursive=True):
        ct = c.cpu_times()
        t += ct.user + ct.system
    return t


def pgcpu():
    t = 0.0
    for p in psutil.process_iter(["name"]):
        if p.info["name"] and p.info["name"].startswith("postgres"):
            try:
                ct = p.cpu_times()
                t += ct.user + ct.system
            except psutil.Error:
                pass
    return t


def run(port, script, secs, proc):
    c0 = cpu(proc)
    g0 = pgcpu()
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{secs}s", "-s", str(script), f"http://127.0.0.1:{port}/graphql"],
        capture_output=True,
        text=True,
    ).stdout
    c1 = cpu(proc)
    g1 = pgcpu()
    rps = float(out.split("Requests/sec:")[1].split()[0])
    reqs = int(out.split(" requests in ")[0].split()[-1])
    non2xx = "Non-2xx" in out
    return rps, (c1 - c0) * 1000 / max(reqs, 1), non2xx, (g1 - g0) * 1000 / max(reqs, 1)


old, new, secs, pairs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
queries = sys.argv[5].split(",") if len(sys.argv) > 5 else ["Q1", "Q2", "Q3"]
token = issue_token(SECRET, subject="ab", role="admin", companies="*")
pa = start(old, 8601)
try:
    pb = start(new, 8602)
    bodies = payloads(1, 100000)
    for q in queries:
        script = lua(json.dumps(bodies[q]), token, q)
        run(8601, script, 1, pa)
        run(8602, script, 1, pb)
        ra, rb = [], []
        for _ in range(pairs):
            ra.append(run(8601, script, secs, pa))
            rb.append(run(8602, script, secs, pb))
        ma = statistics.median(r[0] for r in ra)
        mb = statistics.median(r[0] for r in rb)
        ca = statistics.median(r[1] for r in ra)
        cb = statistics.median(r[1] for r in rb)
        ratios = [b[0] / a[0] for a, b in zip(ra, rb, strict=True)]
        ga = statistics.median(r[3] for r in ra)
        gb = statistics.median(r[3] for r in rb)
        print(f"   pg ms/req old {ga:.2f} new {gb:.2f}")
        print(
            f"{q}: old {ma:.0f} req/s {ca:.2f} ms/req | new {mb:.0f} req/s {cb:.2f} ms/req | new/old {statistics.median(ratios):.2f} ({min(ratios):.2f}..{max(ratios):.2f}) non2xx={any(r[2] for r in ra + rb)}",
            flush=True,
        )
finally:
    for p in [x for x in (pa, globals().get("pb")) if x is not None]:
        p.send_signal(signal.SIGTERM)
        p.wait(20)
