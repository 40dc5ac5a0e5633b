"""Processing fixtures: an app with its own file store, a worker run on demand, uploads
built the way apollo-upload-client builds them, and waits on database conditions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest
from aiohttp import FormData

from app.config import Settings
from app.db.pool import create_pool
from app.files.store import FileStore
from app.jobs.worker import Worker, WorkerOptions
from app.metadata.backend import MetadataBackend
from tests.conftest import Api, TestDatabase, running
from tests.world import World

DEADLINE_SECONDS = 60.0

UPLOAD = """
mutation Upload($input: UploadDocumentInput!) {
  uploadDocument(input: $input) { id filename mimeType fileSize processingStatus
    processing { status attempts } }
}
"""


async def wait_until(
    check: Callable[[], Awaitable[Any]], what: str, deadline: float = DEADLINE_SECONDS
) -> Any:
    """Poll ``check`` until it returns a truthy value; fail after ``deadline`` seconds."""
    give_up = time.monotonic() + deadline
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > give_up:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def multipart_upload(
    variables_input: dict[str, Any], content: bytes, filename: str, content_type: str
) -> FormData:
    """The body apollo-upload-client sends: operations, map, then the file as part "1"."""
    operations = {"query": UPLOAD, "variables": {"input": {**variables_input, "file": None}}}
    form = FormData()
    form.add_field("operations", orjson.dumps(operations).decode())
    form.add_field("map", orjson.dumps({"1": ["variables.input.file"]}).decode())
    form.add_field("1", content, filename=filename, content_type=content_type)
    return form


@pytest.fixture
def processing_settings(settings: Settings, tmp_path: Path) -> Settings:
    return replace(settings, data_dir=tmp_path / "data", job_max_attempts=3)


@pytest.fixture
async def papi(processing_settings: Settings, world: World) -> AsyncIterator[Api]:
    async with running(processing_settings) as api:
        yield api


@pytest.fixture(scope="session")
def analysis_threads() -> Iterator[Executor]:
    """Threads, not processes, for most tests: the pipeline is the same code either way
    (tests/app/processing/test_serve_processes.py runs the real process pool)."""
    with ThreadPoolExecutor(max_workers=2) as executor:
        yield executor


WorkerRun = Callable[..., Any]


@pytest.fixture
def run_worker(
    test_db: TestDatabase, processing_settings: Settings, analysis_threads: Executor
) -> WorkerRun:
    """``async with run_worker(**options) as worker``: a Worker working the queue meanwhile."""

    @asynccontextmanager
    async def start(
        *, executor: Executor | None = None, analyze_fn: Any = None, **overrides: Any
    ) -> AsyncIterator[Worker]:
        options = WorkerOptions(
            concurrency=overrides.pop("concurrency", 2),
            lease_seconds=overrides.pop("lease_seconds", 30.0),
            retry_base_seconds=overrides.pop("retry_base_seconds", 0.01),
            poll_seconds=overrides.pop("poll_seconds", 0.2),
            risk_amount_threshold=overrides.pop("risk_amount_threshold", Decimal("1000000")),
            name=overrides.pop("name", ""),
        )
        assert not overrides, overrides
        pool = await create_pool(test_db.url, min_size=1, max_size=6)
        extra = {} if analyze_fn is None else {"analyze_fn": analyze_fn}
        worker = Worker(
            test_db.url,
            pool,
            MetadataBackend("postgres"),
            FileStore(processing_settings.data_dir / "files"),
            executor or analysis_threads,
            options,
            **extra,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        try:
            yield worker
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
            await pool.close()

    return start


async def document_state(conn: asyncpg.Connection, document_id: int) -> asyncpg.Record:
    return await conn.fetchrow(
        "SELECT d.processing_status, d.processed_at, j.state, j.attempts, j.last_error, "
        "j.locked_by FROM documents d LEFT JOIN LATERAL (SELECT * FROM document_jobs "
        "WHERE document_id = d.id ORDER BY id DESC LIMIT 1) j ON true WHERE d.id = $1",
        document_id,
    )


async def wait_processed(
    conn: asyncpg.Connection, document_id: int, status: str = "processed"
) -> asyncpg.Record:
    async def done() -> asyncpg.Record | None:
        row = await document_state(conn, document_id)
        ended = row["state"] in ("done", "failed")
        return row if row["processing_status"] == status and ended else None

    return await wait_until(done, f"document {document_id} to be {status}")
