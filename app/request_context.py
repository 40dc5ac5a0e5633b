"""What one execution of one operation gets: its DbSession, metadata store, loaders, Context.

Built fresh per execution (a shared loader would leak one request's cache, and one
tenant's rows, into the next), from the process resources the pipeline passes in.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from app.auth import Viewer
from app.config import Settings
from app.db.session import DbSession, ReadFailure
from app.metadata.backend import MetadataBackend
from loaders.factory import Loaders, create_loaders
from schema.context import Context

__all__ = ["request_context"]


def request_context(
    settings: Settings,
    pool: asyncpg.Pool,
    metadata_backend: MetadataBackend,
    viewer: Viewer | None,
    request_id: str,
    *,
    request: Any = None,
    record_cache_tags: bool = False,
    read_pool: asyncpg.Pool | None = None,
    on_read_failure: ReadFailure | None = None,
) -> Context:
    """``record_cache_tags``: the answer may be stored, so loaders record the cache tags of
    what they read (a response that will not be stored needs none). ``read_pool``: a
    replica's pool for the reads outside transactions (app.replicas chose it); ``pool``,
    the primary, serves the rest and any read the replica fails."""
    db = DbSession(
        pool,
        settings.db_acquire_timeout_seconds,
        read_pool=read_pool,
        on_read_failure=on_read_failure,
    )
    metadata = metadata_backend.bind(db)
    cache_tags: set[str] = set()

    def make_loaders() -> Loaders:
        return create_loaders(
            db,
            viewer,
            batching=settings.loaders_enabled,
            metadata=metadata,
            cache_tags=cache_tags if record_cache_tags else None,
        )

    return Context(
        request=request,
        settings=settings,
        db=db,
        pool=pool,
        loaders=make_loaders(),
        viewer=viewer,
        request_id=request_id,
        cache_tags=cache_tags,
        metadata_store=metadata,
        loader_factory=make_loaders,
    )
