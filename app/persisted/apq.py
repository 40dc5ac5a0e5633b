"""Automatic persisted queries, exactly as Apollo Client speaks them.

The client first sends only ``extensions.persistedQuery.sha256Hash``; an unknown hash is
answered (HTTP 200) with PERSISTED_QUERY_NOT_FOUND, the client resends hash and query,
and the server stores the query once it has parsed and validated. The hash is of the
query string exactly as received.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import re
from collections import OrderedDict
from typing import Any

from app.cache.backend import CacheBackend, CacheUnavailable
from app.errors import (
    BAD_REQUEST,
    PERSISTED_QUERY_MISMATCH,
    PERSISTED_QUERY_NOT_FOUND,
    PERSISTED_QUERY_NOT_SUPPORTED,
)
from app.protocol import Operation, RequestError
from app.sizing import DICT_SLOT_OVERHEAD, sizeof

__all__ = ["PersistedQueries", "persisted_hash"]

MSG_NOT_FOUND = "PersistedQueryNotFound"  # Apollo Client matches this text
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def persisted_hash(request: Operation) -> str | None:
    """The requested sha256 hash, None without ``persistedQuery``; 400 when malformed."""
    extension: Any = (request.extensions or {}).get("persistedQuery")
    if extension is None:
        return None
    if not isinstance(extension, dict):
        raise RequestError(400, "extensions.persistedQuery must be an object.", BAD_REQUEST)
    if extension.get("version") != 1:
        raise RequestError(
            400, "Only persistedQuery version 1 is supported.", PERSISTED_QUERY_NOT_SUPPORTED
        )
    digest = extension.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256_HEX.match(digest):
        raise RequestError(
            400, "persistedQuery.sha256Hash must be 64 lowercase hex digits.", BAD_REQUEST
        )
    return digest


class PersistedQueries:
    """Hash → query text in a cache backend (Redis: shared by every worker; else in-process).

    A backend outage only costs a round of PERSISTED_QUERY_NOT_FOUND: clients then send
    the full query, which always works.
    """

    def __init__(
        self,
        backend: CacheBackend,
        ttl_seconds: int,
        memo_size: int = 1024,
        memo_max_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        self._backend = backend
        self._ttl = ttl_seconds
        # Content-addressed, so a local copy can never be stale: hot hashes skip the backend.
        # Bounded by count and by the bytes it really holds (queries may be megabytes).
        self._memo: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self._memo_size = memo_size
        self._memo_max_bytes = memo_max_bytes
        self.memo_bytes = 0

    def _remember(self, digest: str, query: str) -> None:
        size = sizeof(digest, query) + DICT_SLOT_OVERHEAD
        old = self._memo.pop(digest, None)
        if old is not None:
            self.memo_bytes -= old[1]
        if size > self._memo_max_bytes:
            return
        self._memo[digest] = (query, size)
        self.memo_bytes += size
        while len(self._memo) > self._memo_size or self.memo_bytes > self._memo_max_bytes:
            self.memo_bytes -= self._memo.popitem(last=False)[1][1]

    async def resolve(self, request: Operation) -> tuple[Operation, str | None]:
        """(request with its query text, hash to register after validation or None)."""
        digest = persisted_hash(request)
        if digest is None:
            return request, None
        if request.query is None:
            memo = self._memo.get(digest)
            query = None if memo is None else memo[0]
            if query is None:
                try:
                    stored, _ = await self._backend.get(digest)
                except CacheUnavailable:
                    stored = None
                if stored is None:
                    raise RequestError(200, MSG_NOT_FOUND, PERSISTED_QUERY_NOT_FOUND)
                query = stored.decode()
            self._remember(digest, query)
            return dataclasses.replace(request, query=query), None
        if hashlib.sha256(request.query.encode()).hexdigest() != digest:
            raise RequestError(
                400, "persistedQuery.sha256Hash does not match the query.", PERSISTED_QUERY_MISMATCH
            )
        return request, digest

    async def register(self, digest: str, query: str) -> None:
        """Remember a query that parsed and validated (callers check that first)."""
        # On failure the client simply keeps sending the full query until the store is back.
        self._remember(digest, query)
        with contextlib.suppress(CacheUnavailable):
            await self._backend.set(digest, query.encode(), self._ttl)
