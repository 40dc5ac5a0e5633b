"""What ``vanta migrate`` (MongoDB part), ``vanta reconcile`` and ``vanta metadata copy`` run."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from pymongo.errors import ConnectionFailure

from app.config import Settings
from app.db.pool import create_pool
from app.db.session import DbSession
from app.errors import SERVICE_UNAVAILABLE, ApiError
from app.metadata.copy import copy_metadata
from app.metadata.mongo import MSG_METADATA_UNAVAILABLE, MongoMetadataStore
from app.metadata.mongo_client import create_mongo_client, ensure_indexes, metadata_collection
from app.metadata.postgres import PostgresMetadataStore
from app.metadata.reconcile import ReconcileReport, reconcile
from app.metadata.store import MetadataStore

__all__ = ["MSG_NO_MONGODB_URL", "run_copy", "run_mongo_indexes", "run_reconcile"]

MSG_NO_MONGODB_URL = "VANTA_MONGODB_URL is not set"
ClientFactory = Callable[[], Any]


@asynccontextmanager
async def _mongo(settings: Settings, factory: ClientFactory | None) -> AsyncIterator[Any]:
    """The metadata collection named by VANTA_MONGODB_URL, closed afterwards."""
    if not settings.mongodb_url:
        raise ValueError(MSG_NO_MONGODB_URL)
    url = settings.mongodb_url
    client = factory() if factory else create_mongo_client(url)
    try:
        yield metadata_collection(client, url)
    except ConnectionFailure:  # index creation and the like, outside the store's own mapping
        raise ApiError(MSG_METADATA_UNAVAILABLE, SERVICE_UNAVAILABLE) from None
    finally:
        await client.close()


@asynccontextmanager
async def _session(dsn: str) -> AsyncIterator[DbSession]:
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        yield DbSession(pool)
    finally:
        await pool.close()


async def run_mongo_indexes(settings: Settings, factory: ClientFactory | None = None) -> list[str]:
    """Create the MongoDB indexes (idempotent); returns their names."""
    async with _mongo(settings, factory) as collection:
        return await ensure_indexes(collection)


async def run_reconcile(
    dsn: str,
    settings: Settings,
    *,
    repair: bool,
    grace: timedelta,
    factory: ClientFactory | None = None,
) -> ReconcileReport:
    """Reconcile the documents table with the configured backend's metadata."""
    async with _session(dsn) as db:
        if settings.metadata_backend == "postgres":
            return await reconcile(db, PostgresMetadataStore(db), repair=repair, grace=grace)
        async with _mongo(settings, factory) as collection:
            store = MongoMetadataStore(collection, db)
            return await reconcile(db, store, repair=repair, grace=grace)


async def run_copy(
    dsn: str,
    settings: Settings,
    *,
    to: str,
    batch_size: int = 1000,
    progress: bool = True,
    factory: ClientFactory | None = None,
) -> int:
    """Copy every metadata record into backend ``to`` from the other one."""
    if to not in ("mongo", "postgres"):
        raise ValueError(f"to must be 'mongo' or 'postgres', got {to!r}")
    async with _session(dsn) as db, _mongo(settings, factory) as collection:
        await ensure_indexes(collection)
        postgres: MetadataStore = PostgresMetadataStore(db)
        mongo: MetadataStore = MongoMetadataStore(collection, db)
        source, target = (postgres, mongo) if to == "mongo" else (mongo, postgres)
        return await copy_metadata(source, target, batch_size=batch_size, progress=progress)
