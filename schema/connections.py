"""Relay-style connections. Cursors and totals are computed only when selected.

``Connection[Document]`` is named ``DocumentConnection`` in the schema (Strawberry names a
generic after its argument), and likewise ``DocumentEdge``, ``CompanyConnection``...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry

from app.errors import bad_input

__all__ = ["Connection", "CountFn", "Edge", "PageInfo", "check_first", "empty_connection"]

T = TypeVar("T")

CursorOf = Callable[[int], str]  # position in ``nodes`` → cursor of that node
CountFn = Callable[[], Awaitable[int]]


def check_first(first: int | None, cap: int, default: int) -> int:
    """Validate a page size: negative or above the cap is an error, never a silent clamp.

    ``first: null`` means the field's default.
    """
    if first is None:
        return min(default, cap)
    if first < 0:
        raise bad_input("first must not be negative.", "first")
    if first > cap:
        raise bad_input(f"first must be at most {cap}; got {first}.", "first")
    return first


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    nodes: list[T]
    has_next: strawberry.Private[bool]
    cursor_of: strawberry.Private[CursorOf]
    count: strawberry.Private[CountFn]

    @strawberry.field
    def edges(self) -> list[Edge[T]]:
        return [Edge(node=node, cursor=self.cursor_of(i)) for i, node in enumerate(self.nodes)]

    @strawberry.field
    def page_info(self) -> PageInfo:
        end = self.cursor_of(len(self.nodes) - 1) if self.nodes else None
        return PageInfo(has_next_page=self.has_next, end_cursor=end)

    @strawberry.field(description="Counted only when selected: one extra aggregate query.")
    async def total_count(self) -> int:
        return await self.count()


async def _zero() -> int:
    return 0


def empty_connection() -> Connection:  # type: ignore[type-arg]
    """A page of nothing: what a list outside the caller's companies looks like."""
    return Connection(nodes=[], has_next=False, cursor_of=str, count=_zero)
