"""The MongoDB metadata backend: collection ``document_metadata`` keyed by ``document_id``."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from bson.decimal128 import Decimal128
from pymongo import ReplaceOne
from pymongo.errors import ConnectionFailure

from app.errors import SERVICE_UNAVAILABLE, ApiError
from app.metadata.store import (
    FIELDS,
    READ_FIELDS,
    MetadataRecord,
    MetadataStatistics,
    RoundTripCounter,
    SearchHit,
)

__all__ = ["MSG_METADATA_UNAVAILABLE", "MongoMetadataStore", "mongo_search_string"]

MSG_METADATA_UNAVAILABLE = "The metadata store is unavailable; try again shortly."
_READ_PROJECTION = {"_id": 0, "document_id": 1, **dict.fromkeys(READ_FIELDS, 1)}
_ENTITIES_PROJECTION = {"_id": 0, "document_id": 1, "entities": 1}
_FULL_PROJECTION = {"_id": 0, "document_id": 1, "company_id": 1, "uploaded_at": 1}
_FULL_PROJECTION.update(dict.fromkeys(FIELDS, 1))
_TERM = re.compile(r"[^\s\"]+")
# Big enough that a batch comes back in one reply (one round trip) in the normal case.
_ONE_REPLY = 100_000


def mongo_search_string(text: str) -> str:
    """Every word as a quoted phrase: MongoDB then requires all of them, like PostgreSQL."""
    return " ".join(f'"{word}"' for word in _TERM.findall(text) if word.strip("-"))


def _to_bson(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = values.get(name)
        if isinstance(value, Decimal):
            value = Decimal128(value)
        if name in ("tags", "keywords", "entities") and value is None:
            value = []
        out[name] = value
    return out


def _from_bson(doc: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    amount = out.get("total_amount")
    if isinstance(amount, Decimal128):
        out["total_amount"] = amount.to_decimal()
    return out


def _document(record: MetadataRecord) -> dict[str, Any]:
    return {
        "document_id": record.document_id,
        "company_id": record.company_id,
        "uploaded_at": record.uploaded_at,
        **_to_bson(record.values),
    }


class MongoMetadataStore:
    """Metadata in MongoDB; each driver call is one round trip counted on ``counter``."""

    __slots__ = ("_collection", "_counter")

    def __init__(self, collection: Any, counter: RoundTripCounter) -> None:
        self._collection = collection
        self._counter = counter

    @property
    def in_postgres(self) -> bool:
        return False

    @asynccontextmanager
    async def _round_trip(self) -> AsyncIterator[None]:
        """Count one round trip; an unreachable server becomes SERVICE_UNAVAILABLE."""
        self._counter.round_trips += 1
        try:
            yield
        except ConnectionFailure:  # also AutoReconnect, ServerSelectionTimeoutError
            raise ApiError(MSG_METADATA_UNAVAILABLE, SERVICE_UNAVAILABLE) from None

    async def _find(self, query: dict[str, Any], projection: dict[str, Any], **kw: Any) -> list:
        async with self._round_trip():
            cursor = self._collection.find(query, projection, batch_size=_ONE_REPLY, **kw)
            return await cursor.to_list(None)  # type: ignore[no-any-return]

    async def _aggregate(self, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        async with self._round_trip():
            cursor = await self._collection.aggregate(pipeline, batchSize=_ONE_REPLY)
            return await cursor.to_list(None)  # type: ignore[no-any-return]

    async def fetch_many(self, document_ids: Sequence[int]) -> dict[int, Mapping[str, Any]]:
        if not document_ids:
            return {}
        docs = await self._find({"document_id": {"$in": list(document_ids)}}, _READ_PROJECTION)
        return {doc["document_id"]: _from_bson(doc) for doc in docs}

    async def fetch_entities(
        self, document_ids: Sequence[int]
    ) -> dict[int, Sequence[Mapping[str, Any]]]:
        if not document_ids:
            return {}
        docs = await self._find({"document_id": {"$in": list(document_ids)}}, _ENTITIES_PROJECTION)
        return {doc["document_id"]: doc.get("entities") or [] for doc in docs}

    async def write(self, record: MetadataRecord, tx: Any = None) -> None:
        async with self._round_trip():
            await self._collection.replace_one(
                {"document_id": record.document_id}, _document(record), upsert=True
            )

    async def write_many(self, records: Sequence[MetadataRecord]) -> None:
        if not records:
            return
        ops = [
            ReplaceOne({"document_id": r.document_id}, _document(r), upsert=True) for r in records
        ]
        async with self._round_trip():
            await self._collection.bulk_write(ops, ordered=False)

    async def set_tags(self, record: MetadataRecord, tags: list[str], tx: Any = None) -> None:
        async with self._round_trip():
            await self._collection.update_one(
                {"document_id": record.document_id},
                {
                    "$set": {"tags": tags},
                    "$setOnInsert": {
                        "company_id": record.company_id,
                        "uploaded_at": record.uploaded_at,
                        "keywords": [],
                        "entities": [],
                    },
                },
                upsert=True,
            )

    async def delete(self, document_ids: Sequence[int], tx: Any = None) -> int:
        if not document_ids:
            return 0
        async with self._round_trip():
            result = await self._collection.delete_many(
                {"document_id": {"$in": list(document_ids)}}
            )
        return int(result.deleted_count)

    async def search(
        self,
        company_ids: Sequence[int] | None,
        text: str,
        *,
        tag: str | None = None,
        after: tuple[float, int] | None = None,
        limit: int = 100,
    ) -> list[SearchHit]:
        search = mongo_search_string(text)
        if not search or (company_ids is not None and not company_ids):
            return []
        match: dict[str, Any] = {"$text": {"$search": search}}
        if company_ids is not None:
            match["company_id"] = {"$in": list(company_ids)}
        if tag is not None:
            match["tags"] = tag
        pipeline: list[dict[str, Any]] = [
            {"$match": match},
            {"$project": {"_id": 0, "document_id": 1, "score": {"$meta": "textScore"}}},
        ]
        if after is not None:
            rank, last_id = after
            pipeline.append(
                {
                    "$match": {
                        "$or": [
                            {"score": {"$lt": rank}},
                            {"score": rank, "document_id": {"$lt": last_id}},
                        ]
                    }
                }
            )
        pipeline += [{"$sort": {"score": -1, "document_id": -1}}, {"$limit": limit}]
        docs = await self._aggregate(pipeline)
        return [SearchHit(doc["document_id"], float(doc["score"])) for doc in docs]

    async def ids_with_tag(self, company_ids: Sequence[int] | None, tag: str) -> list[int]:
        if company_ids is not None and not company_ids:
            return []
        query: dict[str, Any] = {"tags": tag}
        if company_ids is not None:
            query["company_id"] = {"$in": list(company_ids)}
        docs = await self._find(query, {"_id": 0, "document_id": 1}, sort=[("document_id", 1)])
        return [doc["document_id"] for doc in docs]

    async def statistics(self, company_ids: Sequence[int] | None) -> MetadataStatistics:
        if company_ids is not None and not company_ids:
            return MetadataStatistics()
        match = {} if company_ids is None else {"company_id": {"$in": list(company_ids)}}
        group = {"n": {"$sum": 1}}
        pipeline = [
            {"$match": match},
            {
                "$facet": {
                    "total": [{"$count": "n"}],
                    "classification": [
                        {"$match": {"classification": {"$ne": None}}},
                        {"$group": {"_id": "$classification", **group}},
                    ],
                    "tags": [{"$unwind": "$tags"}, {"$group": {"_id": "$tags", **group}}],
                }
            },
        ]
        [facets] = await self._aggregate(pipeline)

        def buckets(rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
            return sorted(((r["_id"], int(r["n"])) for r in rows), key=lambda b: (-b[1], b[0]))

        total = facets["total"][0]["n"] if facets["total"] else 0
        return MetadataStatistics(
            total=int(total),
            by_classification=buckets(facets["classification"]),
            by_tag=buckets(facets["tags"]),
        )

    async def scan(self, after_id: int, limit: int) -> list[MetadataRecord]:
        docs = await self._find(
            {"document_id": {"$gt": after_id}},
            _FULL_PROJECTION,
            sort=[("document_id", 1)],
            limit=limit,
        )
        return [
            MetadataRecord(
                doc["document_id"],
                doc["company_id"],
                doc["uploaded_at"],
                {name: value for name, value in _from_bson(doc).items() if name in FIELDS},
            )
            for doc in docs
        ]

    async def all_ids(self) -> list[int]:
        docs = await self._find({}, {"_id": 0, "document_id": 1})
        return [doc["document_id"] for doc in docs]

    async def count(self) -> int:
        async with self._round_trip():
            return int(await self._collection.count_documents({}))
