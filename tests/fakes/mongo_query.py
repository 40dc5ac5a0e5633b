"""The query language of the in-memory MongoDB stand-in: filters, projections, sorts, groups."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pymongo.errors import OperationFailure

__all__ = ["SCORE", "group", "matches", "project", "sort_docs"]

SCORE = "__text_score"  # where a $text match keeps its score until a projection asks for it


def _valuematches(value: Any, cond: Any) -> bool:
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


def matches(doc: Mapping[str, Any], filter: Mapping[str, Any]) -> bool:
    for key, cond in filter.items():
        if key == "$or":
            if not any(matches(doc, sub) for sub in cond):
                return False
        elif key.startswith("$"):
            raise NotImplementedError(f"fake top-level operator {key}")
        elif not _valuematches(doc.get(key), cond):
            return False
    return True


def project(doc: dict[str, Any], projection: Mapping[str, Any] | None) -> dict[str, Any]:
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
            if SCORE not in doc:
                raise OperationFailure("textScore requires a $text query")
            out[key] = doc[SCORE]
        elif spec == 1 and key in doc:
            out[key] = copy.deepcopy(doc[key])
        elif spec != 1:
            raise NotImplementedError(f"fake projection {spec!r}")
    if SCORE in doc:
        out[SCORE] = doc[SCORE]
    return out


def sort_docs(docs: list[dict[str, Any]], keys: list[tuple[str, int]]) -> list[dict[str, Any]]:
    for field, direction in reversed(keys):
        docs = sorted(
            docs,
            key=lambda d: (d.get(field) is not None, d.get(field)),
            reverse=direction < 0,
        )
    return docs


def group(docs: list[dict[str, Any]], spec: Mapping[str, Any]) -> list[dict[str, Any]]:
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
