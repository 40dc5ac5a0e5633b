"""Idempotency-Key on mutations: a retried request gets the first answer, never a second run.

As Stripe and the IETF draft (draft-ietf-httpapi-idempotency-key-header) define it: the
key, scoped to the token's subject, is claimed in the mutation's own PostgreSQL
transaction (``DbSession.whole_operation``) together with a digest of the request, and
the answer's exact bytes are recorded there before it commits. So when PostgreSQL
commits but the reply is lost, the retry finds the record. A retry of the same request
replays those bytes; another request under the same key is refused (422, ``CONFLICT``);
a duplicate that arrives while the first is running waits for it (the claim blocks on
the first one's row lock) and then replays. An answer with errors records nothing.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from itertools import count
from typing import Any

import asyncpg
import orjson

from app.db import idempotency as sql
from app.db.session import DbSession
from app.encoding import api_error_body, error_body, with_request_id
from app.errors import BAD_REQUEST, CONFLICT, SERVICE_UNAVAILABLE, ApiError
from app.files.store import StoredUpload
from app.protocol import RequestError

__all__ = [
    "HEADER",
    "REPLAYED_HEADER",
    "Answer",
    "parse_key",
    "request_digest",
    "run_once",
]

log = logging.getLogger("vanta.idempotency")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
PURGE_EVERY = 100  # recorded answers between two opportunistic purges of expired rows

MSG_BAD_KEY = f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters (space to tilde)."
MSG_MISMATCH = (
    f"This {HEADER} was used for a different request (operation, operation name or "
    "variables); use a new key for a new request."
)
MSG_IN_FLIGHT = f"A request with this {HEADER} is still being processed; retry shortly."
MSG_BATCH = f"{HEADER} covers one mutation request; send the mutation on its own, not in a batch."
MSG_ROLLED_BACK = "The operation could not be recorded and was rolled back; retry it."
MSG_VARIABLES = f"These variables cannot be digested for {HEADER} (nested too deeply)."

_KEY = re.compile(rf"[\x20-\x7e]{{1,{MAX_KEY_LENGTH}}}")
_recorded = count(1)


@dataclass(frozen=True, slots=True)
class Answer:
    body: bytes
    status: int
    ok: bool  # complete and error-free: the only kind that is recorded
    replayed: bool = False


def parse_key(value: str | None) -> str | None:
    """The header's value when present and valid; RequestError 400 when malformed."""
    if value is None:
        return None
    if _KEY.fullmatch(value) is None or not value.strip():
        raise RequestError(400, MSG_BAD_KEY, BAD_REQUEST)
    return value


def request_digest(
    document_digest: bytes, operation_name: str | None, variables: dict[str, Any] | None
) -> bytes:
    """sha256 of what makes two requests the same: document, operation name, variables."""
    try:
        canonical = orjson.dumps(
            variables or {},
            default=_upload,
            option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS,
        )
    except (TypeError, orjson.JSONEncodeError):
        raise RequestError(400, MSG_VARIABLES, BAD_REQUEST) from None
    hasher = hashlib.sha256(b"vanta-idempotency-v1\0")
    hasher.update(document_digest)
    hasher.update(b"\0" + (operation_name or "").encode() + b"\0")
    hasher.update(canonical)
    return hasher.digest()


def _upload(value: object) -> dict[str, Any]:
    """A multipart file in the variables: the same when its bytes and name are the same."""
    if isinstance(value, StoredUpload):
        return {"upload": value.sha256, "filename": value.filename}
    raise TypeError


class _Abandon(Exception):
    """Roll the whole operation back (its transaction cannot take the release)."""


async def run_once(
    db: DbSession,
    subject: str,
    key: str,
    digest: bytes,
    execute: Callable[[], Awaitable[Answer]],
    request_id: str = "",
) -> Answer:
    """The recorded answer of (subject, key), or ``execute``'s, recorded if it is ``ok``.

    Raises RequestError 422 (CONFLICT) when the key belongs to another request, and 409
    when its first request is somehow still unfinished after the claim waited for it.
    """
    try:
        recorded = await sql.find(db, subject, key)
        if recorded is not None:
            return _replay(recorded, digest)
        answer: Answer | None = None
        try:
            async with db.whole_operation() as tx:
                if not await sql.claim(tx, subject, key, digest):
                    # The claim waited for the key's first request to end; it committed.
                    recorded = await sql.find(tx, subject, key)
                    if recorded is None:
                        raise RequestError(409, MSG_IN_FLIGHT, CONFLICT)
                    return _replay(recorded, digest)
                answer = await execute()
                try:
                    if answer.ok:
                        await sql.complete(tx, subject, key, answer.status, answer.body)
                    else:
                        await sql.release(tx, subject, key)
                except asyncpg.PostgresError as error:  # e.g. the transaction was aborted
                    raise _Abandon from error
        except _Abandon:
            log.warning("idempotent operation rolled back (key of subject %r)", subject)
            assert answer is not None
            if answer.ok:  # its writes are gone: it must not be reported as done
                return Answer(
                    orjson.dumps(
                        error_body(MSG_ROLLED_BACK, SERVICE_UNAVAILABLE, requestId=request_id)
                    ),
                    200,
                    False,
                )
        assert answer is not None
        if answer.ok and next(_recorded) % PURGE_EVERY == 0:
            await _purge(db)
        return answer
    except ApiError as error:  # PostgreSQL unavailable or too slow around the operation
        body = with_request_id(api_error_body(error), request_id)
        return Answer(orjson.dumps(body), 200, ok=False)


def _replay(recorded: sql.Recorded, digest: bytes) -> Answer:
    if recorded.request_digest != digest:
        raise RequestError(422, MSG_MISMATCH, CONFLICT)
    if recorded.status is None or recorded.response is None:
        raise RequestError(409, MSG_IN_FLIGHT, CONFLICT)
    return Answer(bytes(recorded.response), recorded.status, ok=True, replayed=True)


async def _purge(db: DbSession) -> None:
    try:
        purged = await sql.purge_expired(db)
    except ApiError as error:
        log.warning("could not purge expired idempotency keys: %s", error.message)
        return
    if purged:
        log.info("purged %d expired idempotency keys", purged)
