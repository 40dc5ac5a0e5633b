"""``vanta worker`` and ``vanta jobs`` as real processes: a worker ``kill -9``-ed mid-job loses
its claim when the lease expires, a second one takes over and the document is processed once;
a worker stops cleanly on SIGTERM; ``vanta jobs`` lists failed, expired and overdue jobs.

The job is held "mid-job" without any test hook in the worker: the test locks the companies
table (ACCESS EXCLUSIVE, in a database of its own), and the worker's first job reads the
company register after its claim has committed, so it waits on that lock, visibly in
``pg_stat_activity``, until the test kills it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from app.files.store import FileStore
from app.jobs.queue import enqueue
from app.migrate import apply_migrations
from tests.app.processing.conftest import wait_until
from tests.conftest import JWT_SECRET, TestDatabase

VANTA = Path(sys.executable).with_name("vanta")
GUARD_SECONDS = 120.0  # against a hung test (the first document also imports spaCy)
CONTENT = b"Receipt No INV-9001 from Simba Cement Ltd, KRA PIN P051234567X, total KES 4,200.00\n"


@dataclass
class Queue:
    url: str
    data_dir: Path
    company: int


@pytest.fixture
async def queue(test_db: TestDatabase, tmp_path: Path) -> Queue:
    """A database of its own (the test locks its companies table) with one company."""
    url = await test_db.create_empty()
    await apply_migrations(url)
    conn = await asyncpg.connect(url)
    try:
        company = await conn.fetchval(
            "INSERT INTO companies (name, registration_number, industry, company_type) "
            "VALUES ('Worker Test Ltd', 'REG-WORKER', 'testing', 'subsidiary') RETURNING id"
        )
    finally:
        await conn.close()
    return Queue(url, tmp_path / "data", int(company))


async def _pending_document(queue: Queue, conn: asyncpg.Connection, filename: str) -> int:
    """What an upload commits: the stored file, a pending document row and its job."""
    stored = FileStore(queue.data_dir / "files").save_bytes(
        CONTENT, filename=filename, mime_type="text/plain"
    )
    async with conn.transaction():
        doc = await conn.fetchval(
            "INSERT INTO documents (company_id, filename, document_type, category, uploaded_by, "
            "mime_type, file_size, content_sha256) VALUES ($1, $2, 'receipt', 'financial', "
            "'test', 'text/plain', $3, $4) RETURNING id",
            queue.company,
            filename,
            stored.size,
            stored.sha256,
        )
        assert await enqueue(conn, doc, 3) is not None
    return int(doc)


def _env(queue: Queue) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANTA_")}
    env.update(
        VANTA_DATABASE_URL=queue.url,
        VANTA_DATA_DIR=str(queue.data_dir),
        VANTA_JWT_SECRET=JWT_SECRET,
        VANTA_JOB_LEASE_SECONDS="1",
        VANTA_JOB_POLL_SECONDS="0.1",
    )
    return env


@dataclass
class WorkerProcess:
    process: asyncio.subprocess.Process
    name: str


@asynccontextmanager
async def vanta_worker(queue: Queue, log: Path) -> AsyncIterator[WorkerProcess]:
    """``vanta worker`` in a session of its own (its pool processes in its process group);
    yields once it printed its banner. Killed with its group if the test left it running."""
    with log.open("wb") as err:
        process = await asyncio.create_subprocess_exec(
            str(VANTA),
            "worker",
            env=_env(queue),
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
            start_new_session=True,
        )
        try:
            assert process.stdout is not None
            banner = b"migrations"
            while banner.startswith(b"migrations"):  # `vanta worker` migrates first
                banner = await asyncio.wait_for(process.stdout.readline(), GUARD_SECONDS)
            assert banner.startswith(b"vanta worker "), banner
            name = banner.decode().split()[2].rstrip(":")
            yield WorkerProcess(process, name)
        finally:
            if process.returncode is None:
                os.killpg(process.pid, signal.SIGKILL)
                await process.wait()


async def _vanta_jobs(queue: Queue, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(VANTA),
        "jobs",
        *args,
        env=_env(queue),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), GUARD_SECONDS)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def _job(conn: asyncpg.Connection, doc: int) -> asyncpg.Record:
    return await conn.fetchrow(
        "SELECT j.*, j.lease_expires_at < now() AS expired, d.processing_status "
        "FROM document_jobs j JOIN documents d ON d.id = j.document_id "
        "WHERE j.document_id = $1",
        doc,
    )


async def test_worker_killed_mid_job_is_taken_over_and_the_document_processed_once(
    queue: Queue, tmp_path: Path
) -> None:
    conn = await asyncpg.connect(queue.url)
    lock = await asyncpg.connect(queue.url)
    try:
        doc = await _pending_document(queue, conn, "killed.txt")
        held = lock.transaction()
        await held.start()
        await lock.execute("LOCK TABLE companies IN ACCESS EXCLUSIVE MODE")
        async with vanta_worker(queue, tmp_path / "first.log") as first:

            async def mid_job() -> bool:
                job = await _job(conn, doc)
                blocked = await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE '%FROM companies%'"
                )
                return job["state"] == "running" and job["locked_by"] == first.name and blocked

            await wait_until(mid_job, "the first worker to be mid-job", GUARD_SECONDS)
            os.killpg(first.process.pid, signal.SIGKILL)
            assert await asyncio.wait_for(first.process.wait(), GUARD_SECONDS) == -signal.SIGKILL
        await held.rollback()

        # Its claim is not renewed any more: once the lease has passed, `vanta jobs` says so.
        async def expired() -> bool:
            return bool((await _job(conn, doc))["expired"])

        await wait_until(expired, "the dead worker's lease to expire", GUARD_SECONDS)
        code, out = await _vanta_jobs(queue)
        assert code == 1, out
        assert "running 1" in out and "lease expired" in out, out

        async with vanta_worker(queue, tmp_path / "second.log") as second:

            async def processed() -> bool:
                job = await _job(conn, doc)
                return job["state"] == "done" and job["processing_status"] == "processed"

            await wait_until(processed, "the second worker to process the document", GUARD_SECONDS)
            # SIGTERM: the worker finishes and exits cleanly.
            second.process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.process.wait(), GUARD_SECONDS) == 0
        job = await _job(conn, doc)
        assert job["attempts"] == 2 and job["locked_by"] == second.name != first.name
        assert await conn.fetchval("SELECT count(*) FROM document_jobs") == 1
        metadata = await conn.fetch(
            "SELECT entities FROM document_metadata WHERE document_id = $1", doc
        )
        assert len(metadata) == 1
        assert "P051234567X" in metadata[0]["entities"]
        code, out = await _vanta_jobs(queue)
        assert code == 0 and "no failed or stuck jobs" in out and "done 1" in out, out
    finally:
        await lock.close()
        await conn.close()


async def test_vanta_jobs_lists_a_failed_job_and_an_overdue_one(queue: Queue) -> None:
    conn = await asyncpg.connect(queue.url)
    try:
        failed = await _pending_document(queue, conn, "failed.txt")
        stuck = await _pending_document(queue, conn, "stuck.txt")
        await conn.execute(
            "UPDATE document_jobs SET state = 'failed', attempts = 3, "
            "last_error = 'ValueError: unreadable' WHERE document_id = $1",
            failed,
        )
        await conn.execute(
            "UPDATE document_jobs SET run_after = now() - interval '1 hour' WHERE document_id = $1",
            stuck,
        )
        code, out = await _vanta_jobs(queue, "--stuck-after", "600")
        assert code == 1, out
        assert "queued 1" in out and "failed 1" in out, out
        rows = {line.split()[1]: line for line in out.splitlines()[2:]}
        assert set(rows) == {str(failed), str(stuck)}, out
        assert "failed" in rows[str(failed)] and "3/3" in rows[str(failed)]
        assert "ValueError: unreadable" in rows[str(failed)]
        assert "overdue" in rows[str(stuck)]
        # Overdue only counts past --stuck-after: with two hours of grace it is not listed.
        code, out = await _vanta_jobs(queue, "--stuck-after", "7200")
        assert code == 1, out
        assert [line.split()[1] for line in out.splitlines()[2:]] == [str(failed)], out
    finally:
        await conn.close()
