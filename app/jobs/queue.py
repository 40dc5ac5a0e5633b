"""SQL of the job queue (table ``document_jobs``, migration 0003). Callers pass a connection.

Claims use ``FOR UPDATE SKIP LOCKED`` so concurrent workers never take the same row, and
give the job a lease (``lease_expires_at``) and a fresh ``claim_token``: every later write
of that attempt names the token, so a worker whose lease expired and was taken over can no
longer finish or fail the job (its writes match no row).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

__all__ = [
    "JOBS_CHANNEL",
    "Claim",
    "claim_next",
    "enqueue",
    "finish_claim",
    "oldest_pending_age",
    "queue_counts",
    "renew_lease",
    "retry_or_fail",
    "troubled_jobs",
]

JOBS_CHANNEL = "vanta_jobs"  # NOTIFY on enqueue: idle workers wake up at once
ERROR_LIMIT = 2000  # characters of a failure reason kept


@dataclass(frozen=True, slots=True)
class Claim:
    """One attempt at one job, held by this worker until ``lease`` runs out."""

    job_id: int
    document_id: int
    company_id: int
    attempts: int
    max_attempts: int
    token: uuid.UUID
    content_sha256: str | None
    mime_type: str | None
    document_type: str
    filename: str


async def enqueue(conn: Any, document_id: int, max_attempts: int) -> int | None:
    """A queued job for the document (in the caller's transaction); None when one is active.

    The NOTIFY is delivered at commit, so a worker never wakes for a job it cannot see.
    """
    # One statement (``conn`` may be a request's Transaction, which only has ``fetch``).
    rows = await conn.fetch(
        "WITH job AS (INSERT INTO document_jobs (document_id, max_attempts) VALUES ($1, $2) "
        "ON CONFLICT (document_id) WHERE state IN ('queued', 'running') DO NOTHING "
        "RETURNING id) "
        "SELECT id, pg_notify($3, id::text) FROM job",
        document_id,
        max_attempts,
        JOBS_CHANNEL,
    )
    return rows[0]["id"] if rows else None


_CLAIM = """
WITH next AS (
    SELECT j.id FROM document_jobs j
    WHERE (j.state = 'queued' AND j.run_after <= now())
       OR (j.state = 'running' AND j.lease_expires_at < now())
    ORDER BY j.run_after, j.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
UPDATE document_jobs j
SET state = 'running', attempts = j.attempts + 1, claim_token = $1, locked_by = $2,
    lease_expires_at = now() + make_interval(secs => $3), started_at = now()
FROM next, documents d
WHERE j.id = next.id AND d.id = j.document_id
RETURNING j.id, j.document_id, d.company_id, j.attempts, j.max_attempts, d.content_sha256,
          d.mime_type, d.document_type, d.filename
"""


async def claim_next(conn: Any, worker: str, lease_seconds: float) -> Claim | None:
    """The next due job (queued, or running with an expired lease), claimed; None if none."""
    token = uuid.uuid4()
    row = await conn.fetchrow(_CLAIM, token, worker, lease_seconds)
    if row is None:
        return None
    return Claim(
        job_id=row["id"],
        document_id=row["document_id"],
        company_id=row["company_id"],
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        token=token,
        content_sha256=row["content_sha256"],
        mime_type=row["mime_type"],
        document_type=row["document_type"],
        filename=row["filename"],
    )


async def renew_lease(conn: Any, claim: Claim, lease_seconds: float) -> bool:
    """Extend the lease; False when the claim was lost (expired and taken over, or deleted)."""
    status = await conn.execute(
        "UPDATE document_jobs SET lease_expires_at = now() + make_interval(secs => $3) "
        "WHERE id = $1 AND claim_token = $2 AND state = 'running'",
        claim.job_id,
        claim.token,
        lease_seconds,
    )
    return bool(status.endswith(" 1"))


async def finish_claim(
    conn: Any,
    claim: Claim,
    *,
    state: str,
    error: str | None = None,
    risk_reasons: Any = None,
    confidence: float | None = None,
) -> datetime | None:
    """Mark the attempt's job ``done`` or ``failed`` (inside the caller's transaction).

    Returns the finish time, or None when this claim no longer owns the job (nothing changed).
    """
    assert state in ("done", "failed")
    return await conn.fetchval(  # type: ignore[no-any-return]
        "UPDATE document_jobs SET state = $3, finished_at = now(), lease_expires_at = NULL, "
        "last_error = coalesce($4, last_error), risk_reasons = $5::jsonb, "
        "classification_confidence = $6 "
        "WHERE id = $1 AND claim_token = $2 AND state = 'running' RETURNING finished_at",
        claim.job_id,
        claim.token,
        state,
        None if error is None else error[:ERROR_LIMIT],
        risk_reasons,
        confidence,
    )


async def retry_or_fail(
    conn: Any, claim: Claim, error: str, retry_base_seconds: float
) -> str | None:
    """After a failed attempt: ``queued`` again with back-off, or ``failed`` at the limit.

    Returns the new state, or None when this claim no longer owns the job.
    """
    if claim.attempts >= claim.max_attempts:
        done = await finish_claim(conn, claim, state="failed", error=error)
        return None if done is None else "failed"
    delay = retry_base_seconds * 2 ** (claim.attempts - 1)
    status = await conn.execute(
        "UPDATE document_jobs SET state = 'queued', last_error = $3, claim_token = NULL, "
        "locked_by = NULL, lease_expires_at = NULL, "
        "run_after = now() + make_interval(secs => $4) "
        "WHERE id = $1 AND claim_token = $2 AND state = 'running'",
        claim.job_id,
        claim.token,
        error[:ERROR_LIMIT],
        delay,
    )
    return "queued" if status.endswith(" 1") else None


async def next_due_in(conn: Any) -> float | None:
    """Seconds until the next queued job is due or a running lease expires (None: none)."""
    value = await conn.fetchval(
        "SELECT extract(epoch FROM min(t) - now()) FROM ("
        " SELECT min(run_after) AS t FROM document_jobs WHERE state = 'queued'"
        " UNION ALL"
        " SELECT min(lease_expires_at) FROM document_jobs WHERE state = 'running') s"
    )
    return None if value is None else max(0.0, float(value))


async def oldest_pending_age(conn: Any) -> float | None:
    """Seconds since the oldest queued or running job was created (None: queue empty)."""
    value = await conn.fetchval(
        "SELECT extract(epoch FROM now() - min(created_at)) FROM document_jobs "
        "WHERE state IN ('queued', 'running')"
    )
    return None if value is None else float(value)


async def queue_counts(conn: Any) -> dict[str, int]:
    """How many jobs are in each state."""
    rows = await conn.fetch("SELECT state, count(*) AS n FROM document_jobs GROUP BY state")
    return {row["state"]: row["n"] for row in rows}


async def troubled_jobs(
    conn: Any, *, stuck_after_seconds: float, limit: int = 100
) -> list[asyncpg.Record]:
    """Failed jobs, running jobs whose lease expired, and jobs queued for longer than
    ``stuck_after_seconds`` past their due time; newest first."""
    return await conn.fetch(  # type: ignore[no-any-return]
        "SELECT j.id, j.document_id, d.company_id, d.filename, j.state, j.attempts, "
        "j.max_attempts, j.locked_by, j.last_error, j.created_at, j.run_after, "
        "j.lease_expires_at, "
        "CASE WHEN j.state = 'failed' THEN 'failed' "
        "     WHEN j.state = 'running' THEN 'lease expired' ELSE 'overdue' END AS problem "
        "FROM document_jobs j JOIN documents d ON d.id = j.document_id "
        "WHERE j.state = 'failed' "
        "   OR (j.state = 'running' AND j.lease_expires_at < now()) "
        "   OR (j.state = 'queued' AND j.run_after < now() - make_interval(secs => $1)) "
        "ORDER BY j.id DESC LIMIT $2",
        stuck_after_seconds,
        limit,
    )
