"""Do both servers answer with the same documents? Map the peer's names onto ours, bring
values both render differently (enum case, timestamp digits, number types) to one form, and
name the first path where the answers differ. Run before timing: a faster wrong answer is
no result."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["PEER_NAMES", "AnswerMismatch", "canonical", "check_same", "first_difference"]

# PostGraphile (Amber preset) name -> our name, for every field Q1-Q3 select.
PEER_NAMES = {
    "rowId": "id",
    "allDocuments": "documents",
    "allCompanies": "companies",
    "documentByRowId": "document",
    "documentsByCompanyId": "documents",
    "companyByCompanyId": "company",
    "documentMetadatumByDocumentId": "metadata",
}


class AnswerMismatch(AssertionError):
    """The two servers returned different data for one query; the message says where."""


def _scalar(value: Any) -> Any:
    """One form for a scalar either server may render its own way."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return Decimal(str(value)).normalize()
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()  # tz-aware; digits may differ
        except ValueError:
            pass
        try:
            return Decimal(value).normalize()  # BigInt / numeric as strings, or as numbers
        except InvalidOperation:
            return value.casefold()  # our enums are upper case, the peer's text columns not
    return value


def canonical(value: Any, names: dict[str, str] | None = None) -> Any:
    """``value`` with keys renamed by ``names`` and scalars in one form."""
    names = names or {}
    if isinstance(value, dict):
        return {names.get(key, key): canonical(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [canonical(item, names) for item in value]
    return _scalar(value)


def first_difference(ours: Any, theirs: Any, path: str = "data") -> str | None:
    """The path of the first difference between two canonical answers, or None."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        if ours.keys() != theirs.keys():
            return f"{path}: fields {sorted(ours)} != {sorted(theirs)}"
        for key in ours:
            found = first_difference(ours[key], theirs[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return f"{path}: {len(ours)} items != {len(theirs)}"
        for index, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
            found = first_difference(mine, other, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if ours == theirs else f"{path}: {ours!r} != {theirs!r}"


def check_same(query: str, ours: dict[str, Any], theirs: dict[str, Any]) -> int:
    """Raise AnswerMismatch unless both ``data`` trees agree; return how many ids they share
    (so the caller can say the comparison saw documents, not two empty lists)."""
    mine = canonical(ours.get("data"))
    other = canonical(theirs.get("data"), PEER_NAMES)
    found = first_difference(mine, other)
    if found:
        raise AnswerMismatch(f"{query}: ours and the peer's answers differ at {found}")
    return _count_ids(mine)


def _count_ids(value: Any) -> int:
    if isinstance(value, dict):
        return ("id" in value) + sum(_count_ids(item) for item in value.values())
    if isinstance(value, list):
        return sum(_count_ids(item) for item in value)
    return 0
