"""An in-memory stand-in for the part of pymongo's AsyncMongoClient the metadata store uses.

Documents go through a real BSON encode/decode on the way in and out, so what MongoDB
would reject (a Python Decimal, a non-string key) fails here too, and datetimes come back
with millisecond precision and UTC, as from a real server with ``tz_aware=True``.
Unsupported operators raise NotImplementedError rather than silently matching.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import bson
from bson.codec_options import CodecOptions
from pymongo import ReplaceOne
from pymongo.errors import DuplicateKeyError, OperationFailure

from tests.fakes.mongo_query import SCORE, group, matches, project, sort_docs

__all__ = ["FakeMongoClient"]

_CODEC = CodecOptions(tz_aware=True)
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
    ]
)


def _roundtrip(doc: Mapping[str, Any]) -> dict[str, Any]:
    return bson.decode(bson.encode(doc), codec_options=_CODEC)


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _tokens(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


@dataclass
class _Result:
    deleted_count: int = 0
    matched_count: int = 0
    modified_count: int = 0
    upserted_id: Any = None


class FakeCursor:
    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self._docs = docs

    async def to_list(self, length: int | None = None) -> list[dict[str, Any]]:
        return self._docs if length is None else self._docs[:length]


class FakeCollection:
    """One collection: a list of BSON-normalised documents and the indexes created on it."""

    def __init__(self, database: FakeDatabase, name: str) -> None:
        self.database = database
        self.name = name
        self.docs: list[dict[str, Any]] = []
        self.indexes: dict[str, dict[str, Any]] = {}
        # Fault injection: operation name -> exception raised on its next call.
        self.failures: dict[str, BaseException] = {}

    def fail_next(self, operation: str, error: BaseException) -> None:
        self.failures[operation] = error

    def _maybe_fail(self, operation: str) -> None:
        error = self.failures.pop(operation, None)
        if error is not None:
            raise error

    # -- reads --------------------------------------------------------------------------
    def find(
        self,
        filter: Mapping[str, Any] | None = None,
        projection: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[tuple[str, int]] | None = None,
        limit: int = 0,
        batch_size: int = 0,
    ) -> FakeCursor:
        self._maybe_fail("find")
        docs = [d for d in self.docs if matches(d, filter or {})]
        if sort:
            docs = sort_docs(docs, list(sort))
        if limit:
            docs = docs[:limit]
        return FakeCursor([project(d, projection) for d in docs])

    async def count_documents(self, filter: Mapping[str, Any]) -> int:
        self._maybe_fail("count_documents")
        return sum(1 for d in self.docs if matches(d, filter))

    async def aggregate(self, pipeline: Sequence[Mapping[str, Any]], **_: Any) -> FakeCursor:
        self._maybe_fail("aggregate")
        docs = [copy.deepcopy(d) for d in self.docs]
        for i, stage in enumerate(pipeline):
            docs = self._stage(docs, stage, first=i == 0)
        return FakeCursor([{k: v for k, v in d.items() if k != SCORE} for d in docs])

    def _stage(self, docs: list[dict[str, Any]], stage: Mapping[str, Any], first: bool) -> list:
        [(name, spec)] = stage.items()
        if name == "$match":
            if "$text" in spec and not first:
                raise OperationFailure("$match with $text is only allowed as the first stage")
            if "$text" in spec:
                docs = self._text_scored(docs, spec["$text"]["$search"])
                spec = {k: v for k, v in spec.items() if k != "$text"}
            return [d for d in docs if matches(d, spec)]
        if name == "$project":
            return [project(d, spec) for d in docs]
        if name == "$sort":
            return sort_docs(docs, list(spec.items()))
        if name == "$limit":
            return docs[:spec]
        if name == "$count":
            return [{spec: len(docs)}] if docs else []
        if name == "$unwind":
            field = spec.lstrip("$")
            return [{**d, field: v} for d in docs for v in (d.get(field) or [])]
        if name == "$group":
            return group(docs, spec)
        if name == "$facet":
            out = {}
            for key, sub in spec.items():
                part = [copy.deepcopy(d) for d in docs]
                for s in sub:
                    part = self._stage(part, s, first=False)
                out[key] = part
            return [out]
        raise NotImplementedError(f"fake aggregate stage {name}")

    def _text_scored(self, docs: list[dict[str, Any]], search: str) -> list[dict[str, Any]]:
        fields = [k for ix in self.indexes.values() for k, kind in ix["key"] if kind == "text"]
        if not fields:
            raise OperationFailure("text index required for $text query", code=27)
        phrases = [p.lower() for p in re.findall(r'"([^"]*)"', search)]
        terms = {t for t in _tokens(search.replace('"', " "))}
        scored = []
        for doc in docs:
            texts = [str(doc.get(f) or "") for f in fields]
            joined = " ".join(texts).lower()
            if any(p not in joined for p in phrases):
                continue
            score = 0.0
            for text in texts:
                tokens = _tokens(text)
                for term in terms:
                    count = tokens.count(term)
                    if count:
                        score += (0.5 * count / len(tokens) + 0.5) * (2 - 0.5 ** (count - 1))
            if score > 0:
                scored.append({**doc, SCORE: score})
        return scored

    # -- writes -------------------------------------------------------------------------
    def _check_unique(self, doc: Mapping[str, Any], ignore: dict[str, Any] | None) -> None:
        for ix in self.indexes.values():
            if not ix.get("unique"):
                continue
            fields = [k for k, _ in ix["key"]]
            for other in self.docs:
                if other is not ignore and all(other.get(f) == doc.get(f) for f in fields):
                    raise DuplicateKeyError(f"E11000 duplicate key ({ix['name']})")

    def _upsert(self, filter: Mapping[str, Any], new: dict[str, Any], upsert: bool) -> _Result:
        current = next((d for d in self.docs if matches(d, filter)), None)
        if current is None:
            if not upsert:
                return _Result()
            seeded = {k: v for k, v in filter.items() if not k.startswith("$")}
            doc = _roundtrip({"_id": bson.ObjectId(), **seeded, **new})
            self._check_unique(doc, None)
            self.docs.append(doc)
            return _Result(upserted_id=doc["_id"])
        doc = _roundtrip({**new, "_id": current["_id"]})
        self._check_unique(doc, current)
        self.docs[self.docs.index(current)] = doc
        return _Result(matched_count=1, modified_count=1)

    async def replace_one(
        self, filter: Mapping[str, Any], replacement: Mapping[str, Any], upsert: bool = False
    ) -> _Result:
        self._maybe_fail("replace_one")
        return self._upsert(filter, dict(replacement), upsert)

    async def update_one(
        self, filter: Mapping[str, Any], update: Mapping[str, Any], upsert: bool = False
    ) -> _Result:
        self._maybe_fail("update_one")
        unknown = set(update) - {"$set", "$setOnInsert"}
        if unknown:
            raise NotImplementedError(f"fake update operators {unknown}")
        current = next((d for d in self.docs if matches(d, filter)), None)
        if current is None:
            new = {**update.get("$setOnInsert", {}), **update.get("$set", {})}
        else:
            new = {k: v for k, v in current.items() if k != "_id"} | update.get("$set", {})
        return self._upsert(filter, new, upsert)

    async def delete_many(self, filter: Mapping[str, Any]) -> _Result:
        self._maybe_fail("delete_many")
        keep = [d for d in self.docs if not matches(d, filter)]
        deleted = len(self.docs) - len(keep)
        self.docs = keep
        return _Result(deleted_count=deleted)

    async def bulk_write(self, requests: Sequence[Any], ordered: bool = True) -> _Result:
        self._maybe_fail("bulk_write")
        for op in requests:
            if not isinstance(op, ReplaceOne):
                raise NotImplementedError(f"fake bulk_write of {type(op).__name__}")
            self._upsert(op._filter, dict(op._doc), op._upsert)
        return _Result()

    async def create_indexes(self, models: Sequence[Any]) -> list[str]:
        self._maybe_fail("create_indexes")
        names = []
        for model in models:
            spec = dict(model.document)
            key = list(spec["key"].items())
            texts = [n for n, ix in self.indexes.items() if any(k == "text" for _, k in ix["key"])]
            if any(kind == "text" for _, kind in key) and texts and texts[0] != spec["name"]:
                raise OperationFailure("only one text index per collection", code=85)
            existing = self.indexes.get(spec["name"])
            if existing is not None and existing["key"] != key:
                raise OperationFailure(f"index {spec['name']} exists with other keys", code=86)
            self.indexes[spec["name"]] = {**spec, "key": key}
            names.append(spec["name"])
        return names

    async def drop(self) -> None:
        self.docs = []
        self.indexes = {}


class FakeDatabase:
    def __init__(self, client: FakeMongoClient, name: str) -> None:
        self.client = client
        self.name = name
        self.collections: dict[str, FakeCollection] = {}

    def __getitem__(self, name: str) -> FakeCollection:
        return self.collections.setdefault(name, FakeCollection(self, name))

    async def command(self, name: str) -> dict[str, Any]:
        if self.client.down is not None:
            raise self.client.down
        if name != "ping":
            raise NotImplementedError(name)
        return {"ok": 1.0}


class FakeMongoClient:
    """Stand-in for AsyncMongoClient: databases by name; ``close`` is awaitable."""

    def __init__(self) -> None:
        self.databases: dict[str, FakeDatabase] = {}
        self.down: BaseException | None = None  # set to make ping fail (readiness tests)
        self.closed = 0

    def __getitem__(self, name: str) -> FakeDatabase:
        return self.databases.setdefault(name, FakeDatabase(self, name))

    async def close(self) -> None:
        self.closed += 1
