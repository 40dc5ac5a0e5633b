"""Processing bench: first-document latency (spaCy import + pipeline build) apart from the
steady state (documents/s per worker process), and RSS of a pool process before and after
NLP ran. Run: ``.venv/bin/python -m bench.processing [--documents 200]``.

``--q3`` instead measures what processing costs the API: Q3's p99 (wrk, uncached) against
one `vanta serve` (VANTA_JOB_WORKERS=1, the bench database of bench.run) idle, while its own
job worker processes a 1 MiB text document, and idle again, with the ratio. The uploads go
to another company than Q3's and are deleted afterwards.

Everything runs in a spawned process, as in `vanta serve` / `vanta worker`; this process
(the stand-in for the server) never imports spaCy, which the report checks.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import psutil

from app.nlp.task import AnalysisRequest, analyze

SAMPLE = (
    "Invoice No: INV-{n}\nFrom: Simba Cement Ltd\nKRA PIN A123456789Z\n"
    "500 bags of cement for the Nyeri site, delivered 30/06/2025.\n"
    "Paid by M-Pesa QGH7ABC12X, call 0712345678. Total KES 12,500.00\n"
)


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def _measure(paths: list[str], big: str) -> dict[str, float]:
    """In the pool process: RSS before, first document, steady state, 1 MB document."""
    started_rss = _rss_mb()
    t0 = time.perf_counter()
    analyze(AnalysisRequest(paths[0], "text/plain", "invoice", ("Simba Cement Ltd",)))
    first = time.perf_counter() - t0
    t1 = time.perf_counter()
    for path in paths[1:]:
        analyze(AnalysisRequest(path, "text/plain", "invoice", ("Simba Cement Ltd",)))
    steady = time.perf_counter() - t1
    t2 = time.perf_counter()
    analyze(AnalysisRequest(big, "text/plain", "invoice", ("Simba Cement Ltd",)))
    big_seconds = time.perf_counter() - t2
    return {
        "rss_before_mb": started_rss,
        "rss_after_mb": _rss_mb(),
        "first_document_s": first,
        "documents_per_s": (len(paths) - 1) / steady,
        "one_mb_document_s": big_seconds,
    }


def _job_state(dsn: str, document_id: int) -> str | None:
    import asyncio

    import asyncpg

    async def read() -> str | None:
        conn = await asyncpg.connect(dsn)
        try:
            return await conn.fetchval(  # type: ignore[no-any-return]
                "SELECT state FROM document_jobs WHERE document_id = $1 ORDER BY id DESC LIMIT 1",
                document_id,
            )
        finally:
            await conn.close()

    return asyncio.run(read())


def _delete(dsn: str, ids: list[int]) -> None:
    import asyncio

    import asyncpg

    async def delete() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("DELETE FROM documents WHERE id = ANY($1::bigint[])", ids)
        finally:
            await conn.close()

    asyncio.run(delete())


def _upload(server_url: str, token: str, company: int, name: str, text: str) -> int:
    from bench.server import check_reply, post_graphql

    mutation = (
        "mutation($i: UploadDocumentInput!) { uploadDocument(input: $i) { id processingStatus } }"
    )
    variables = {
        "i": {
            "companyId": str(company),
            "filename": name,
            "documentType": "invoice",
            "content": text,
        }
    }
    reply = post_graphql(server_url, {"query": mutation, "variables": variables}, token, 60.0)
    check_reply(reply, f"upload of {name}")
    return int(reply.body["data"]["uploadDocument"]["id"])


def _upload_file(server_url: str, token: str, company: int, name: str, data: bytes) -> int:
    """A multipart upload (operations, map, file) as apollo-upload-client sends it: JSON
    ``content`` stops at 1,000,000 bytes, a file at VANTA_MAX_UPLOAD_BYTES."""
    import urllib.request
    import uuid

    import orjson

    mutation = (
        "mutation($i: UploadDocumentInput!) { uploadDocument(input: $i) { id processingStatus } }"
    )
    variables = {
        "i": {"companyId": str(company), "filename": name, "documentType": "invoice", "file": None}
    }
    boundary = uuid.uuid4().hex
    parts = [
        ("operations", None, orjson.dumps({"query": mutation, "variables": variables})),
        ("map", None, orjson.dumps({"1": ["variables.i.file"]})),
        ("1", name, data),
    ]
    body = b""
    for field, filename, value in parts:
        disposition = f'form-data; name="{field}"' + (
            f'; filename="{filename}"' if filename else ""
        )
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename:
            body += b"Content-Type: text/plain\r\n"
        body += b"\r\n" + value + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        server_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Authorization": f"Bearer {token}",
            "Apollo-Require-Preflight": "1",
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        reply = orjson.loads(response.read())
    assert "errors" not in reply, reply
    return int(reply["data"]["uploadDocument"]["id"])


def _wait_state(dsn: str, document_id: int, states: tuple[str, ...], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _job_state(dsn, document_id)
        if state in states:
            return state
        time.sleep(0.05)
    raise RuntimeError(f"document {document_id}: job not {states} within {timeout:.0f} s")


def q3_under_processing(seconds: int, port: int) -> None:
    """Q3 p99 idle / while a 1 MiB document is processed by the server's job worker / idle."""
    import asyncio
    import secrets

    from app.auth import issue_token
    from bench.harness import WORK, server_env
    from bench.queries import payloads
    from bench.run import bench_database, prepare
    from bench.server import cold_start_ms, running_server
    from bench.wrk import ensure_wrk, run_wrk, write_script

    wrk = ensure_wrk()
    secret = secrets.token_urlsafe(32)
    token = issue_token(secret, subject="bench", role="admin", companies="*", ttl_seconds=3600)
    big_text = (SAMPLE.format(n=1) * (2**20 // len(SAMPLE) + 1))[: 2**20]
    uploaded: list[int] = []
    with bench_database() as (dsn, source), tempfile.TemporaryDirectory() as data_dir:
        data = asyncio.run(prepare(dsn, source))
        other = data.company_id + 1  # not Q3's company: its document lists stay as they are
        body = payloads(data.company_id, data.document_id)["Q3"]
        env = server_env(
            dsn,
            secret,
            {"VANTA_CACHE": "off", "VANTA_JOB_WORKERS": "1", "VANTA_DATA_DIR": data_dir},
        )
        if port:
            env["VANTA_PORT"] = str(port)
        try:
            with running_server(env, WORK / "processing-q3.log") as server:
                cold_start_ms(server, body, token)
                # Warm the pool process (spaCy import, pipeline) so the run measures analysis.
                uploaded.append(_upload(server.url, token, other, "warm.txt", SAMPLE.format(n=0)))
                _wait_state(dsn, uploaded[-1], ("done", "failed"), 120)
                script = write_script(WORK / "q3-processing.lua", body, token)
                run_wrk(wrk, server.url, script, 2, warm_up=True)
                before = run_wrk(wrk, server.url, script, seconds)
                uploaded.append(
                    _upload_file(server.url, token, other, "big.txt", big_text.encode())
                )
                _wait_state(dsn, uploaded[-1], ("running",), 60)
                started = time.perf_counter()
                during = run_wrk(wrk, server.url, script, seconds)
                covered = _job_state(dsn, uploaded[-1]) == "running"
                ended = _wait_state(dsn, uploaded[-1], ("done", "failed"), 600)
                took = time.perf_counter() - started
                after = run_wrk(wrk, server.url, script, seconds)
        finally:
            if uploaded:
                _delete(dsn, uploaded)
    idle = (before.p99_ms + after.p99_ms) / 2
    print(f"Q3 p99 under processing (wrk {seconds} s runs, VANTA_CACHE=off, 1 HTTP worker,")
    print("  1 job worker pool process, the same 2-core machine for wrk, server and PostgreSQL)")
    for label, result in (
        ("idle, before", before),
        ("1 MiB document processing", during),
        ("idle, after", after),
    ):
        print(
            f"  {label:<28} p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms  "
            f"{result.rps:8.1f} requests/s"
        )
    print(f"  p99 ratio processing / idle (mean of before and after): {during.p99_ms / idle:.3f}")
    print(f"  p99 ratio after / before (the noise floor): {after.p99_ms / before.p99_ms:.3f}")
    print(
        f"  the 1 MiB job ran through the whole window: {covered} "
        f"(ended {ended} {took:.1f} s after the window began)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--q3", action="store_true", help="Q3 p99 with and without processing")
    parser.add_argument("--seconds", type=int, default=8, help="each wrk run of --q3")
    parser.add_argument("--port", type=int, default=0, help="--q3 server port (0: any free)")
    args = parser.parse_args()
    if args.q3:
        q3_under_processing(args.seconds, args.port)
        return
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for n in range(args.documents):
            path = Path(tmp) / f"{n}.txt"
            path.write_text(SAMPLE.format(n=n))
            paths.append(str(path))
        big = Path(tmp) / "big.txt"
        big.write_text((SAMPLE.format(n=1) * (2**20 // len(SAMPLE) + 1))[: 2**20])
        spawn_started = time.perf_counter()
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            pool.submit(os.getpid).result()
            cold = time.perf_counter() - spawn_started
            figures = pool.submit(_measure, paths, str(big)).result()
    print("processing bench (one spawned pool process, blank pipeline + entity_ruler)")
    print(f"  pool process cold start (spawn, no NLP)   {cold * 1000:8.1f} ms")
    print(
        f"  first document (spaCy import + pipeline)  {figures['first_document_s'] * 1000:8.1f} ms"
    )
    print(
        f"  steady state                              {figures['documents_per_s']:8.1f} documents/s per worker"
    )
    print(
        f"  one 1 MiB text document                   {figures['one_mb_document_s'] * 1000:8.1f} ms"
    )
    print(f"  pool process RSS before NLP               {figures['rss_before_mb']:8.1f} MiB")
    print(f"  pool process RSS after NLP                {figures['rss_after_mb']:8.1f} MiB")
    print(f"  this process imported spaCy               {'spacy' in sys.modules}")


if __name__ == "__main__":
    main()
