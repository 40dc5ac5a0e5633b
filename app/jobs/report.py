"""``vanta jobs``: the failed and stuck jobs, and the queue's counts, as a table."""

from __future__ import annotations

import asyncpg

from app.jobs.queue import oldest_pending_age, queue_counts, troubled_jobs

__all__ = ["print_jobs"]


async def print_jobs(dsn: str, *, stuck_after: float, limit: int) -> int:
    """Print the report; returns how many troubled jobs were listed."""
    conn = await asyncpg.connect(dsn)
    try:
        counts = await queue_counts(conn)
        age = await oldest_pending_age(conn)
        rows = await troubled_jobs(conn, stuck_after_seconds=stuck_after, limit=limit)
    finally:
        await conn.close()
    summary = ", ".join(
        f"{state} {counts.get(state, 0)}" for state in ("queued", "running", "done", "failed")
    )
    oldest = "none" if age is None else f"{age:.1f} s"
    print(f"jobs: {summary}; oldest pending: {oldest}")
    if not rows:
        print("no failed or stuck jobs")
        return 0
    print(f"{'job':>8} {'document':>9} {'company':>8} {'problem':<14} {'attempts':>8}  last error")
    for row in rows:
        error = (row["last_error"] or "").replace("\n", " ")[:80]
        attempts = f"{row['attempts']}/{row['max_attempts']}"
        print(
            f"{row['id']:>8} {row['document_id']:>9} {row['company_id']:>8} "
            f"{row['problem']:<14} {attempts:>8}  {error}"
        )
    return len(rows)
