"""What every resolver gets as ``info.context``: settings, database, loaders and caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
from aiohttp import web
from graphql import DocumentNode

from app.auth import Viewer
from app.config import Settings
from app.db.session import DbSession
from app.errors import unauthenticated
from app.metadata.postgres import PostgresMetadataStore
from app.metadata.store import MetadataStore
from loaders.factory import Loaders, create_loaders

__all__ = ["Context"]


@dataclass(slots=True)
class Context:
    request: web.Request | None
    settings: Settings
    db: DbSession
    pool: asyncpg.Pool | None
    loaders: Loaders
    viewer: Viewer | None
    request_id: str
    # Tags (app/cache/tags.py) of the data this response depends on, for the response cache.
    cache_tags: set[str] = field(default_factory=set)
    # Tags of the data a mutation changed: invalidated before the response is sent.
    invalidations: set[str] = field(default_factory=set)
    # None: the PostgreSQL backend on ``db`` (what tests building a Context by hand get).
    metadata_store: MetadataStore | None = None
    # Builds a new set of loaders like ``loaders`` (same store, same cache-tag recording).
    loader_factory: Callable[[], Loaders] | None = None
    # The parsed document the prepared-document stage validated (schema/prepared.py hands
    # it to stock execution instead of a second parse); None: Strawberry parses.
    prepared_document: DocumentNode | None = None

    def renew_loaders(self) -> None:
        """Fresh loaders, so a retry starts without the cache or failures of an attempt."""
        if self.loader_factory is not None:
            self.loaders = self.loader_factory()
            return
        self.loaders = create_loaders(
            self.db, self.viewer, batching=self.settings.loaders_enabled, cache_tags=self.cache_tags
        )

    @property
    def metadata(self) -> MetadataStore:
        """The metadata store of this request, whichever backend the process uses."""
        if self.metadata_store is None:
            self.metadata_store = PostgresMetadataStore(self.db)
        return self.metadata_store

    def require_viewer(self) -> Viewer:
        """The authenticated caller; UNAUTHENTICATED for anonymous requests."""
        if self.viewer is None:
            raise unauthenticated()
        return self.viewer
