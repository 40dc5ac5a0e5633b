"""Numbered SQL parameters for queries whose WHERE clause depends on the filter given."""

from __future__ import annotations

from typing import Any

__all__ = ["Params", "like_pattern", "sql_limit"]


class Params:
    """Collects values and hands out ``$n`` placeholders in order."""

    __slots__ = ("values",)

    def __init__(self, *initial: Any) -> None:
        self.values: list[Any] = list(initial)

    def add(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def like_pattern(text: str) -> str:
    """A ``%text%`` ILIKE pattern with the user's wildcards escaped (they match literally)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def sql_limit(count: int) -> str:
    """A LIMIT as a literal. Statements are planned once, generically (app/db/pool.py): with
    the limit as a parameter the planner cannot see that a page is small, and on a million
    documents chose to join whole tables instead of the page's rows."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"a LIMIT must be a non-negative int, got {count!r}")
    return str(count)
