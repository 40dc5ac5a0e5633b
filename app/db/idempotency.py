"""SQL for Idempotency-Key records: claim a key, complete it with the answer, find, purge."""

from __future__ import annotations

from dataclasses import dataclass

from app.db.documents import Executor

__all__ = [
    "RETENTION",
    "Recorded",
    "claim",
    "complete",
    "find",
    "purge_expired",
    "release",
]

RETENTION = "24 hours"  # an interval literal; rows older than this do not exist for anyone

_LIVE = f"created_at > now() - interval '{RETENTION}'"


@dataclass(frozen=True, slots=True)
class Recorded:
    request_digest: bytes
    status: int | None  # None: claimed by a transaction that has not committed (never seen)
    response: bytes | None


async def find(db: Executor, subject: str, key: str) -> Recorded | None:
    """The live, committed record of ``key`` for ``subject``, or None."""
    row = await db.fetchrow(
        "SELECT request_digest, status, response FROM idempotency_keys"
        f" WHERE subject = $1 AND idempotency_key = $2 AND {_LIVE}",
        subject,
        key,
    )
    if row is None:
        return None
    return Recorded(bytes(row["request_digest"]), row["status"], row["response"])


async def claim(db: Executor, subject: str, key: str, digest: bytes) -> bool:
    """Insert the key's row (or take over an expired one); False when a live one exists.

    Run inside the operation's transaction. A concurrent claim of the same key waits on
    the first one's row lock until that transaction ends, so two requests never both win.
    """
    claimed = await db.fetchval(
        "INSERT INTO idempotency_keys (subject, idempotency_key, request_digest)"
        " VALUES ($1, $2, $3)"
        " ON CONFLICT (subject, idempotency_key) DO UPDATE"
        " SET request_digest = EXCLUDED.request_digest, status = NULL, response = NULL,"
        " created_at = now()"
        f" WHERE idempotency_keys.created_at <= now() - interval '{RETENTION}'"
        " RETURNING true",
        subject,
        key,
        digest,
    )
    return bool(claimed)


async def complete(db: Executor, subject: str, key: str, status: int, response: bytes) -> None:
    """Record the answer in the claiming transaction (commits with the mutation's writes)."""
    await db.fetch(
        "UPDATE idempotency_keys SET status = $3, response = $4"
        " WHERE subject = $1 AND idempotency_key = $2",
        subject,
        key,
        status,
        response,
    )


async def release(db: Executor, subject: str, key: str) -> None:
    """Drop the claim: the operation failed, so a retry may execute."""
    await db.fetch(
        "DELETE FROM idempotency_keys WHERE subject = $1 AND idempotency_key = $2",
        subject,
        key,
    )


async def purge_expired(db: Executor, limit: int = 500) -> int:
    """Delete up to ``limit`` expired rows (oldest first); returns how many."""
    deleted = await db.fetchval(
        "WITH old AS (SELECT subject, idempotency_key FROM idempotency_keys"
        f" WHERE created_at <= now() - interval '{RETENTION}' ORDER BY created_at LIMIT $1)"
        " , gone AS (DELETE FROM idempotency_keys k USING old"
        " WHERE k.subject = old.subject AND k.idempotency_key = old.idempotency_key"
        " RETURNING 1) SELECT count(*) FROM gone",
        limit,
    )
    return int(deleted)
