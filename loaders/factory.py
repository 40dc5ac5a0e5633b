"""The per-request DataLoaders: one per Source, made on first use, scoped to the caller.

Built fresh for every request (a shared loader would leak one request's cache, and one
tenant's rows, into the next). Tenant scope and cache-tag recording are applied here, in
one wrapper around every Source's fetch. With batching off every key is its own query and
nothing is cached: the naive one-query-per-row baseline the benchmark compares against.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from app.auth import Viewer
from app.db.projection import Projection
from app.db.session import DbSession
from app.metadata.postgres import PostgresMetadataStore
from app.metadata.store import MetadataStore
from loaders.dataloader import DataLoader
from loaders.source import Backends, Source

__all__ = ["Loaders", "create_loaders"]

K = TypeVar("K")
V = TypeVar("V")


class Loaders:
    """``of(source)``: this request's DataLoader of ``source``."""

    __slots__ = ("_backends", "_batching", "_loaders", "_recorded", "_scope")

    def __init__(
        self,
        backends: Backends,
        scope: Sequence[int] | None,
        *,
        batching: bool,
        cache_tags: set[str] | None,
    ) -> None:
        self._backends = backends
        self._scope = scope
        self._batching = batching
        self._recorded = cache_tags
        self._loaders: dict[Source[Any, Any], DataLoader[Any, Any]] = {}

    def of(self, source: Source[K, V]) -> DataLoader[K, V]:
        loader = self._loaders.get(source)
        if loader is None:
            loader = self._loaders[source] = self._make(source)
        return loader

    @property
    def projection(self) -> Projection:
        """How this execution reads documents (app.db.projection)."""
        return self._backends.projection

    @property
    def batching(self) -> bool:
        """False in naive mode (VANTA_LOADERS=off): one query per key, and no joins."""
        return self._batching

    @property
    def metadata_in_postgres(self) -> bool:
        """Whether metadata may be joined into document statements."""
        return self._backends.metadata.in_postgres

    def project(self, projection: Projection | None) -> None:
        """Read documents through ``projection`` from now on. Only before the first load:
        loaders made earlier would keep the old one, and their cached objects with it;
        then (and for None) nothing changes, which is always correct, only slower."""
        if self._loaders or projection is None:
            return
        backends = self._backends
        self._backends = Backends(backends.db, backends.metadata, projection)

    def record(self, source: Source[K, Any], keys: list[K]) -> None:
        """Record the cache tags of ``keys`` as loading them would (a joined relation's
        values came with its parent's row, without a load)."""
        if self._recorded is not None:
            self._recorded.update(map(source.tag, keys))

    def _make(self, source: Source[K, V]) -> DataLoader[K, V]:
        backends, scope, recorded, tag = self._backends, self._scope, self._recorded, source.tag
        fetch = source.fetch

        async def load(keys: list[K]) -> list[V]:
            if recorded is not None:
                recorded.update(map(tag, keys))
            return await fetch(backends, scope, keys, source.builder())

        if self._batching:
            return DataLoader(load)
        return DataLoader(load, max_batch_size=1, cache=False)


def create_loaders(
    db: DbSession,
    viewer: Viewer | None,
    *,
    batching: bool = True,
    metadata: MetadataStore | None = None,
    cache_tags: set[str] | None = None,
) -> Loaders:
    """Loaders for one request; ``viewer`` None (anonymous) sees no rows at all.

    ``metadata`` is the request's metadata store (default: PostgreSQL on ``db``). Every
    key loaded adds its cache tag to ``cache_tags``, so the response cache knows which
    mutations make a stored response stale; None records nothing (a response that will
    not be stored needs no tags, and computing them is a string per key).
    """
    scope: list[int] | None = [] if viewer is None else viewer.scope
    store = metadata if metadata is not None else PostgresMetadataStore(db)
    return Loaders(Backends(db, store), scope, batching=batching, cache_tags=cache_tags)
