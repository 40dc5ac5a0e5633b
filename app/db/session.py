"""Per-request database access that counts round trips and reports outages uniformly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from app.db.pool import release_at_once
from app.errors import SERVICE_UNAVAILABLE, TIMEOUT, ApiError

__all__ = ["REPLICA_RETRYABLE", "UNAVAILABLE", "DbSession", "ReadFailure", "Transaction"]

MSG_DB_UNAVAILABLE = "The database is unavailable; try again shortly."
MSG_STATEMENT_TIMEOUT = "A database query took too long and was cancelled."

# What asyncpg raises when the server is down, restarting or out of connections.
UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,
    asyncpg.AdminShutdownError,
)

# What makes a read on a replica worth retrying on the primary: the replica is down (as
# above), or it cancelled the query to apply WAL (a conflict with recovery: SQLSTATE 40001,
# or 40P01 for a buffer-pin deadlock).
REPLICA_RETRYABLE = (*UNAVAILABLE, asyncpg.SerializationError, asyncpg.DeadlockDetectedError)

# Told when a read on ``read_pool`` failed and was retried on the primary (the router marks
# the replica down): (the pool that failed, the error).
ReadFailure = Callable[[asyncpg.Pool, BaseException], None]


def _unavailable() -> ApiError:
    """SERVICE_UNAVAILABLE, unless the task is being cancelled (e.g. the request timed out).

    Cancelling a query makes asyncpg's release fail with errors that look like an outage;
    turning those into an answer would swallow the cancellation and hide the TIMEOUT.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
    return ApiError(MSG_DB_UNAVAILABLE, SERVICE_UNAVAILABLE)


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def _release(pool: asyncpg.Pool, conn: asyncpg.Connection, bound: float) -> None:
    """Give ``conn`` back; when the request is being cancelled (its budget is spent), close it
    instead of waiting for the server.

    Releasing a connection whose query was cancelled waits for PostgreSQL to acknowledge
    (up to ``bound``), and a hung server never does: the request's TIMEOUT answered
    that much later than VANTA_REQUEST_TIMEOUT_SECONDS. A terminated connection releases at
    once; the server rolls back whatever it had open, and the pool opens a new one.

    A connection with nothing to reset (no transaction, no cancellation in flight) goes
    back at once, with no I/O to bound and none to wait for.
    """
    if release_at_once(pool, conn):
        return
    if _cancelling() and not conn.is_closed():
        conn.terminate()
    # Outside a transaction a release does no I/O (VantaConnection sends no reset query),
    # so it needs no bound: asyncpg would arm and cancel a timer for it on every query.
    idle = not conn.is_closed() and not conn.is_in_transaction()
    await pool.release(conn, timeout=None if idle else bound)


def _timed_out() -> ApiError:
    """PostgreSQL's statement_timeout (SQLSTATE 57014) cancelled the query."""
    return ApiError(MSG_STATEMENT_TIMEOUT, TIMEOUT)


class DbSession:
    """The database as one request sees it: every query is one counted round trip.

    One session per request; queries of concurrent loaders take separate pool
    connections, so batches for different relations run in parallel. Inside
    ``whole_operation`` everything (queries and ``transaction()`` blocks, which become
    savepoints) runs on one connection in one transaction, one statement at a time.

    ``read_pool`` (a replica's, chosen by app.replicas for a query) serves ``fetch``
    outside transactions; transactions always run on ``pool``, the primary. A read the
    replica fails is retried once on the primary, ``on_read_failure`` is told, and the rest
    of the session reads from the primary: the client sees no error.
    """

    __slots__ = ("_acquire_timeout", "_on_read_failure", "_outer", "_pool", "_read", "round_trips")

    def __init__(
        self,
        pool: asyncpg.Pool,
        acquire_timeout: float = 2.0,
        *,
        read_pool: asyncpg.Pool | None = None,
        on_read_failure: ReadFailure | None = None,
    ) -> None:
        self._pool = pool
        self._read = pool if read_pool is None else read_pool
        self._on_read_failure = on_read_failure
        self._acquire_timeout = acquire_timeout
        self._outer: Transaction | None = None
        self.round_trips = 0

    @property
    def reads_from_primary(self) -> bool:
        """Whether ``fetch`` goes to the primary (no replica, or the replica failed)."""
        return self._read is self._pool

    @asynccontextmanager
    async def whole_operation(self) -> AsyncIterator[Transaction]:
        """Run the rest of the operation in one transaction, committed when the block ends.

        What the operation's resolvers write commits together with what the caller adds
        (an idempotency record): either both are durable or neither is. Resolvers keep
        calling ``transaction()``; it joins this one as a savepoint, so a failing
        mutation field still undoes only its own writes.
        """
        if self._outer is not None:
            raise RuntimeError("whole_operation() is already active on this session")
        async with self.transaction() as outer:
            outer.lock = asyncio.Lock()
            self._outer = outer
            try:
                yield outer
            finally:
                self._outer = None

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        if self._outer is not None:
            try:
                return await self._outer.fetch(sql, *args)
            except asyncpg.QueryCanceledError:
                raise _timed_out() from None
            except UNAVAILABLE:
                raise _unavailable() from None
        self.round_trips += 1
        pool = self._read
        try:
            if pool is not self._pool:
                try:
                    return await self._fetch_on(pool, sql, args)
                except REPLICA_RETRYABLE as error:
                    if _cancelling():
                        raise _unavailable() from None  # raises CancelledError
                    self._replica_failed(pool, error)
                    self.round_trips += 1
                    pool = self._pool
            return await self._fetch_on(pool, sql, args)
        except asyncpg.QueryCanceledError:
            raise _timed_out() from None
        except UNAVAILABLE:
            raise _unavailable() from None

    async def _fetch_on(self, pool: asyncpg.Pool, sql: str, args: Sequence[Any]) -> Any:
        conn = await self._acquire(pool)
        try:
            return await conn.fetch(sql, *args)
        finally:
            # Bounded like acquire(timeout=...) bounds it, and never past a cancellation.
            await _release(pool, conn, self._acquire_timeout)

    def _replica_failed(self, pool: asyncpg.Pool, error: BaseException) -> None:
        """Read from the primary from now on, and tell the router which replica failed."""
        self._read = self._pool
        if self._on_read_failure is not None:
            self._on_read_failure(pool, error)

    async def _acquire(self, pool: asyncpg.Pool) -> asyncpg.Connection:
        """A pool connection within the acquire timeout.

        With an idle connection in the pool, acquire returns it without waiting, so
        no timer is armed (a timer per query is a measurable share of a short request);
        otherwise asyncio.timeout bounds the wait (acquire(timeout=...) would start a
        new task per acquire).
        """
        if pool.get_idle_size():
            return await pool.acquire()
        async with asyncio.timeout(self._acquire_timeout):
            return await pool.acquire()

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = await self.fetchrow(sql, *args)
        return None if row is None else row[0]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """One connection, one transaction; BEGIN and COMMIT count as round trips too."""
        if self._outer is not None:
            async with self._savepoint(self._outer) as tx:
                yield tx
            return
        pool = self._pool
        try:
            async with asyncio.timeout(self._acquire_timeout):
                conn = await pool.acquire()
            try:
                self.round_trips += 2
                transaction = conn.transaction()
                await transaction.start()
                try:
                    yield Transaction(conn, self)
                except BaseException:
                    # Cancelled (request timeout): no ROLLBACK round trip to a server that
                    # may not answer; closing the connection rolls back (see _release).
                    if not _cancelling():
                        await transaction.rollback()
                    raise
                await transaction.commit()
            finally:
                await _release(pool, conn, self._acquire_timeout)
        except asyncpg.QueryCanceledError:
            raise _timed_out() from None
        except UNAVAILABLE:
            raise _unavailable() from None

    @asynccontextmanager
    async def _savepoint(self, outer: Transaction) -> AsyncIterator[Transaction]:
        """A ``transaction()`` inside ``whole_operation``: a savepoint on its connection."""
        try:
            async with outer.exclusive():
                self.round_trips += 2
                savepoint = outer.conn.transaction()  # nested: asyncpg makes a SAVEPOINT
                await savepoint.start()
            try:
                yield outer
            except BaseException:
                if not _cancelling():
                    async with outer.exclusive():
                        await savepoint.rollback()
                raise
            async with outer.exclusive():
                await savepoint.commit()
        except asyncpg.QueryCanceledError:
            raise _timed_out() from None
        except UNAVAILABLE:
            raise _unavailable() from None


class Transaction:
    """Queries inside one transaction, counted on the owning session.

    ``lock`` (set by ``DbSession.whole_operation``) serialises statements: concurrent
    resolvers then share the one connection, which runs one statement at a time.
    """

    __slots__ = ("_session", "conn", "lock")

    def __init__(self, conn: asyncpg.Connection, session: DbSession) -> None:
        self.conn = conn
        self._session = session
        self.lock: asyncio.Lock | None = None

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        if self.lock is None:
            yield
            return
        async with self.lock:
            yield

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        self._session.round_trips += 1
        async with self.exclusive():
            return await self.conn.fetch(sql, *args)  # type: ignore[no-any-return]

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        self._session.round_trips += 1
        async with self.exclusive():
            return await self.conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self._session.round_trips += 1
        async with self.exclusive():
            return await self.conn.fetchval(sql, *args)

    async def executemany(self, sql: str, args: Sequence[Sequence[Any]]) -> None:
        self._session.round_trips += 1
        async with self.exclusive():
            await self.conn.executemany(sql, args)
