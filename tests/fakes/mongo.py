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
_SCORE = "__text_score"


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
        docs = [d for d in self.docs if _matches(d, filter or {})]
        if sort:
            docs = _sorted(docs, list(sort))
        if limit:
            docs = docs[:limit]
        return FakeCursor([_project(d, projection) for d in docs])

    async def count_documents(self, filter: Mapping[str, Any]) -> int:
        self._maybe_fail("count_documents")
        return sum(1 for d in self.docs if _matches(d, filter))

    async def aggregate(self, pipeline: Sequence[Mapping[str, Any]], **_: Any) -> FakeCursor:
        self._maybe_fail("aggregate")
        docs = [copy.deepcopy(d) for d in self.docs]
        for i, stage in enumerate(pipeline):
            docs = self._stage(docs, stage, first=i == 0)
        return FakeCursor([{k: v for k, v in d.items() if k != _SCORE} for d in docs])

    def _stage(self, docs: list[dict[str, Any]], stage: Mapping[str, Any], first: bool) -> list:
        [(name, spec)] = stage.items()
        if name == "$match":
            if "$text" in spec and not first:
                raise OperationFailure("$match with $text is only allowed as the first stage")
            if "$text" in spec:
                docs = self._text_scored(docs, spec["$text"]["$search"])
                spec = {k: v for k, v in spec.items() if k != "$text"}
            return [d for d in docs if _matches(d, spec)]
        if name == "$project":
            return [_project(d, spec) for d in docs]
        if name == "$sort":
            return _sorted(docs, list(spec.items()))
        if name == "$limit":
            return docs[:spec]
        if name == "$count":
            return [{spec: len(docs)}] if docs else []
        if name == "$unwind":
            field = spec.lstrip("$")
            return [{**d, field: v} for d in docs for v in (d.get(field) or [])]
        if name == "$group":
            return _group(docs, spec)
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
                scored.append({**doc, _SCORE: score})
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
        current = next((d for d in self.docs if _matches(d, filter)), None)
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
        current = next((d for d in self.docs if _matches(d, filter)), None)
        if current is None:
            new = {**update.get("$setOnInsert", {}), **update.get("$set", {})}
        else:
            new = {k: v for k, v in current.items() if k != "_id"} | update.get("$set", {})
        return self._upsert(filter, new, upsert)

    async def delete_many(self, filter: Mapping[str, Any]) -> _Result:
        self._maybe_fail("delete_many")
        keep = [d for d in self.docs if not _matches(d, filter)]
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


# -- query language ---------------------------------------------------------------------
def _value_matches(value: Any, cond: Any) -> bool:
    if isinstance(cond, Mapping) and cond and all(k.startswith("$") for k in cond):
        return all(_operator(value, op, arg) for op, arg in cond.items())
    if isinstance(value, list):
        return cond in value or value == cond
    return bool(value == cond)


def _operator(value: Any, op: str, arg: Any) -> bool:
    candidates = value if isinstance(value, list) else [value]
    if op == "$in":
        return any(c in arg for c in candidates)
    if op == "$ne":
        return all(c != arg for c in candidates)
    if op in ("$gt", "$lt"):
        present = [c for c in candidates if c is not None]
        return any((c > arg) if op == "$gt" else (c < arg) for c in present)
    raise NotImplementedError(f"fake query operator {op}")


def _matches(doc: Mapping[str, Any], filter: Mapping[str, Any]) -> bool:
    for key, cond in filter.items():
        if key == "$or":
            if not any(_matches(doc, sub) for sub in cond):
                return False
        elif key.startswith("$"):
            raise NotImplementedError(f"fake top-level operator {key}")
        elif not _value_matches(doc.get(key), cond):
            return False
    return True


def _project(doc: dict[str, Any], projection: Mapping[str, Any] | None) -> dict[str, Any]:
    if not projection:
        return copy.deepcopy(doc)
    if all(spec == 0 for spec in projection.values()):  # exclusion: everything else
        return {k: copy.deepcopy(v) for k, v in doc.items() if k not in projection}
    out: dict[str, Any] = {}
    if projection.get("_id", 1) and "_id" in doc:
        out["_id"] = doc["_id"]
    for key, spec in projection.items():
        if key == "_id":
            continue
        if spec == {"$meta": "textScore"}:
            if _SCORE not in doc:
                raise OperationFailure("textScore requires a $text query")
            out[key] = doc[_SCORE]
        elif spec == 1 and key in doc:
            out[key] = copy.deepcopy(doc[key])
        elif spec != 1:
            raise NotImplementedError(f"fake projection {spec!r}")
    if _SCORE in doc:
        out[_SCORE] = doc[_SCORE]
    return out


def _sorted(docs: list[dict[str, Any]], keys: list[tuple[str, int]]) -> list[dict[str, Any]]:
    for field, direction in reversed(keys):
        docs = sorted(
            docs,
            key=lambda d: (d.get(field) is not None, d.get(field)),
            reverse=direction < 0,
        )
    return docs


def _group(docs: list[dict[str, Any]], spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    key_expr = spec["_id"]
    groups: dict[Any, dict[str, Any]] = {}
    for doc in docs:
        key = doc.get(key_expr.lstrip("$")) if isinstance(key_expr, str) else key_expr
        group = groups.setdefault(key, {"_id": key})
        for name, acc in spec.items():
            if name == "_id":
                continue
            if acc != {"$sum": 1}:
                raise NotImplementedError(f"fake accumulator {acc!r}")
            group[name] = group.get(name, 0) + 1
    return list(groups.values())
