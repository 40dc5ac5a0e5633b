"""Which metadata backend this process uses, and how a request gets a store bound to it."""

from __future__ import annotations

from typing import Any

from app.db.documents import Executor
from app.metadata.postgres import PostgresMetadataStore
from app.metadata.store import MetadataStore, RoundTripCounter

__all__ = ["MetadataBackend"]


class MetadataBackend:
    """Process-wide choice of backend; ``bind`` gives one request its store.

    ``collection`` is the MongoDB collection (AsyncCollection, or a stand-in in tests)
    when the backend is ``mongo``, else None.
    """

    __slots__ = ("_mongo_store", "collection", "kind")

    def __init__(self, kind: str, collection: Any = None) -> None:
        if kind not in ("postgres", "mongo"):
            raise ValueError(f"kind must be 'postgres' or 'mongo', got {kind!r}")
        if kind == "mongo" and collection is None:
            raise ValueError("collection is required for the mongo backend")
        self.kind = kind
        self.collection = collection
        self._mongo_store: Any = None
        if kind == "mongo":  # imported only here: pymongo costs start time and memory
            from app.metadata.mongo import MongoMetadataStore

            self._mongo_store = MongoMetadataStore

    def bind(self, db: Executor, counter: RoundTripCounter | None = None) -> MetadataStore:
        """A store for one request: queries go through ``db``, round trips count on ``counter``."""
        if self.kind == "postgres":
            return PostgresMetadataStore(db)
        return self._mongo_store(self.collection, counter or db)  # type: ignore[no-any-return]
