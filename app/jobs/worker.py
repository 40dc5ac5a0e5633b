"""The worker: claims due jobs, runs the NLP pipeline in a process pool, writes the outcome.

The claiming loop is asyncio (cheap, on the caller's event loop); the analysis runs in an
``Executor`` (a ProcessPoolExecutor in production), so no spaCy work ever runs on the loop.
While an attempt runs, its lease is renewed every third of ``lease_seconds``; a worker that
dies stops renewing, and once the lease has passed any worker claims the job again. An idle
worker sleeps until a NOTIFY on ``vanta_jobs`` (an upload committed), the next retry or
lease expiry is due, or ``poll_seconds`` passed.

Recommended use::

    worker = Worker(dsn, pool, metadata_backend, store, executor, options)
    await worker.run(stop_event)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Collection
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from app.db.session import DbSession
from app.files.store import FileStore
from app.jobs import facts
from app.jobs.metrics import JobMetrics
from app.jobs.outcome import ClaimLost, Ended, write_failure, write_success
from app.jobs.queue import JOBS_CHANNEL, Claim, claim_next, next_due_in, renew_lease
from app.metadata.backend import MetadataBackend
from app.metadata.store import MetadataRecord
from app.nlp.risk import RiskFacts, risk_score
from app.nlp.task import Analysis, AnalysisRequest, analyze

__all__ = ["Worker", "WorkerOptions", "worker_name"]

log = logging.getLogger("vanta.jobs")

Invalidate = Callable[[Collection[str]], Awaitable[None]]
Analyze = Callable[[AnalysisRequest], Analysis]


def worker_name() -> str:
    """host:pid, what ``locked_by`` and ``vanta jobs`` show."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    concurrency: int = 1  # attempts at once (the pool's size)
    lease_seconds: float = 60.0
    retry_base_seconds: float = 5.0
    poll_seconds: float = 5.0
    spacy_model: str | None = None
    risk_amount_threshold: Decimal = Decimal("1000000")
    name: str = ""


class Worker:
    """One claiming loop over ``pool``; see the module docstring."""

    def __init__(
        self,
        dsn: str,
        pool: asyncpg.Pool,
        metadata: MetadataBackend,
        store: FileStore,
        executor: Executor,
        options: WorkerOptions,
        *,
        metrics: JobMetrics | None = None,
        invalidate: Invalidate | None = None,
        analyze_fn: Analyze = analyze,
    ) -> None:
        if options.concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {options.concurrency}")
        self._dsn = dsn
        self._pool = pool
        self._metadata = metadata
        self._store = store
        self._executor = executor
        self._options = options
        self._metrics = metrics or JobMetrics()
        self._invalidate = invalidate
        self._analyze = analyze_fn
        self.name = options.name or worker_name()
        self._register = facts.CompanyRegister()
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then let running attempts finish."""
        slots = asyncio.Semaphore(self._options.concurrency)
        listener = await self._listen()
        try:
            while not stop.is_set():
                await self._acquire(slots, stop)
                if stop.is_set():
                    slots.release()
                    break
                claim = await self._claim()
                if claim is None:
                    slots.release()
                    await self._idle(stop)
                    continue
                task = asyncio.create_task(self._attempt(claim, slots))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
        finally:
            if listener is not None:
                with contextlib.suppress(Exception):
                    await listener.close()

    async def _listen(self) -> asyncpg.Connection | None:
        """A connection of its own for LISTEN (a pooled one would be handed to others)."""
        try:
            raw = await asyncpg.connect(self._dsn, timeout=10)
            await raw.add_listener(JOBS_CHANNEL, lambda *_: self._wake.set())
            return raw
        except (OSError, asyncpg.PostgresError) as error:
            log.warning("worker %s: LISTEN unavailable (%s); polling only", self.name, error)
            return None

    async def _acquire(self, slots: asyncio.Semaphore, stop: asyncio.Event) -> None:
        acquire = asyncio.ensure_future(slots.acquire())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({acquire, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not acquire.done():
            acquire.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await acquire
            slots.release()  # balanced by the caller's release on stop

    async def _claim(self) -> Claim | None:
        try:
            async with self._pool.acquire() as conn:
                claim = await claim_next(conn, self.name, self._options.lease_seconds)
                if claim is None:
                    await self._count_queue(conn)
                return claim
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("worker %s: claim failed (%s); retrying", self.name, error)
            return None

    async def _idle(self, stop: asyncio.Event) -> None:
        timeout = self._options.poll_seconds
        with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            async with self._pool.acquire() as conn:
                due = await next_due_in(conn)
            if due is not None:
                timeout = min(timeout, due + 0.01)
        self._wake.clear()
        woken = asyncio.ensure_future(self._wake.wait())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({woken, stopped}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        woken.cancel()
        stopped.cancel()

    async def _count_queue(self, conn: Any) -> None:
        from app.jobs.queue import oldest_pending_age, queue_counts

        counts = await queue_counts(conn)
        for state in ("queued", "running", "done", "failed"):
            self._metrics.depth.labels(state).set(counts.get(state, 0))
        self._metrics.oldest_pending.set(await oldest_pending_age(conn) or 0)

    async def _attempt(self, claim: Claim, slots: asyncio.Semaphore) -> None:
        started = time.perf_counter()
        self._metrics.claimed.inc()
        self._metrics.running.inc()
        heartbeat = asyncio.create_task(self._heartbeat(claim))
        outcome = "error"
        try:
            outcome = await self._process(claim)
        except ClaimLost:
            outcome = "lost"
            self._metrics.lost.inc()
            log.warning(
                "worker %s: job %s claim lost; left to its new owner", self.name, claim.job_id
            )
        except Exception:
            log.exception("worker %s: job %s could not be recorded", self.name, claim.job_id)
        finally:
            heartbeat.cancel()
            self._metrics.running.dec()
            self._metrics.duration.labels(outcome).observe(time.perf_counter() - started)
            slots.release()

    async def _heartbeat(self, claim: Claim) -> None:
        interval = self._options.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                async with self._pool.acquire() as conn:
                    if not await renew_lease(conn, claim, self._options.lease_seconds):
                        return

    async def _process(self, claim: Claim) -> str:
        """One attempt: analysis, then the outcome's commit. Returns the outcome's name."""
        if claim.attempts > claim.max_attempts:
            reason = (
                f"the worker stopped during each of {claim.max_attempts} attempts "
                "(claim expired); not retried"
            )
            return await self._fail(claim, reason)
        try:
            analysis, request = await self._run_analysis(claim)
        except Exception as error:  # the document's fault or the file's: a failed attempt
            reason = f"{type(error).__name__}: {error}".strip()
            log.info(
                "worker %s: job %s attempt %s failed: %s",
                self.name,
                claim.job_id,
                claim.attempts,
                reason,
            )
            return await self._fail(claim, reason)
        return await self._succeed(claim, analysis, request)

    async def _run_analysis(self, claim: Claim) -> tuple[Analysis, AnalysisRequest]:
        async with self._pool.acquire() as conn:
            await self._register.refresh(conn)
        if not claim.content_sha256:
            raise FileNotFoundError(f"document {claim.document_id} has no stored content")
        path = self._store.path_for(claim.content_sha256)
        if not path.is_file():
            raise FileNotFoundError(f"stored file {claim.content_sha256} is missing")
        request = AnalysisRequest(
            path=str(path),
            mime_type=claim.mime_type or "text/plain",
            declared_type=claim.document_type,
            org_names=self._register.names,
            own_name=self._register.titles.get(claim.company_id),
            model=self._options.spacy_model,
        )
        loop = asyncio.get_running_loop()
        analysis = await loop.run_in_executor(self._executor, self._analyze, request)
        return analysis, request

    async def _fail(self, claim: Claim, reason: str) -> str:
        async with self._pool.acquire() as conn:
            state, ended = await write_failure(
                conn, claim, reason, self._options.retry_base_seconds
            )
        if state == "queued":
            self._metrics.retried.inc()
            return "retried"
        self._metrics.failed.inc()
        await self._announce(ended)
        return "failed"

    async def _succeed(self, claim: Claim, analysis: Analysis, request: AnalysisRequest) -> str:
        threshold = self._register.thresholds.get(
            claim.company_id, self._options.risk_amount_threshold
        )
        async with self._pool.acquire() as conn:
            duplicate = await facts.duplicate_of(
                conn, claim.company_id, claim.document_id, claim.content_sha256
            )
            vendor = analysis.vendor_name
            seen = bool(vendor) and await facts.vendor_seen(
                conn, claim.company_id, claim.document_id, vendor or ""
            )
            uploaded_at = await conn.fetchval(
                "SELECT uploaded_at FROM documents WHERE id = $1", claim.document_id
            )
        if uploaded_at is None:  # deleted meanwhile; its job went with it
            raise ClaimLost(claim.job_id)
        score, reasons = risk_score(
            RiskFacts(
                classification=analysis.classification,
                invoice_number=analysis.invoice_number,
                total_amount=analysis.total_amount,
                threshold=threshold,
                duplicate_of=duplicate,
                vendor_name=vendor,
                vendor_seen_before=seen,
                future_dates=tuple(d for d in analysis.dates if d > _today()),
            )
        )
        store = self._metadata.bind(DbSession(self._pool))
        existing = await store.fetch_many([claim.document_id])
        values = {
            "tags": list((existing.get(claim.document_id) or {}).get("tags") or []),
            "keywords": analysis.keywords,
            "classification": analysis.classification,
            "summary": analysis.summary,
            "invoice_number": analysis.invoice_number,
            "vendor_name": vendor,
            "total_amount": analysis.total_amount,
            "currency": "KES" if analysis.total_amount is not None else None,
            "risk_score": score,
            "entities": analysis.entities,
            "text": analysis.text,
        }
        record = MetadataRecord(claim.document_id, claim.company_id, uploaded_at, values)
        if not store.in_postgres:  # no shared transaction: written first, idempotently
            await store.write(record)

        async def write_metadata(tx: Any) -> None:
            if store.in_postgres:
                await store.write(record, tx=tx)
            if vendor:
                await facts.record_vendor(tx, claim.company_id, claim.document_id, vendor)

        async with self._pool.acquire() as conn:
            ended = await write_success(
                conn,
                claim,
                risk_reasons=reasons,
                confidence=analysis.confidence,
                write_metadata=write_metadata,
            )
        self._metrics.done.inc()
        await self._announce(ended)
        return "done"

    async def _announce(self, ended: Ended | None) -> None:
        """Drop the document's cached answers in the shared Redis cache (NOTIFY was sent)."""
        if ended is None or self._invalidate is None:
            return
        try:
            await self._invalidate(ended.tags)
        except Exception:
            log.warning(
                "worker %s: cache invalidation of %s failed", self.name, ended.tags, exc_info=True
            )


def _today() -> date:
    return datetime.now().date()
