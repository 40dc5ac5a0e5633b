"""Relay-style connections. Cursors and totals are computed only when selected."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.errors import bad_input

if TYPE_CHECKING:
    from schema.types import Company, Document, LedgerEntry

__all__ = [
    "CompanyConnection",
    "DocumentConnection",
    "LedgerEntryConnection",
    "PageInfo",
    "check_first",
]

CursorOf = Callable[[int], str]  # position in ``nodes`` → cursor of that node
CountFn = Callable[[], Awaitable[int]]

_Document = Annotated["Document", strawberry.lazy("schema.types")]
_Company = Annotated["Company", strawberry.lazy("schema.types")]
_LedgerEntry = Annotated["LedgerEntry", strawberry.lazy("schema.types")]


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
class DocumentEdge:
    node: _Document
    cursor: str


@strawberry.type
class CompanyEdge:
    node: _Company
    cursor: str


@strawberry.type
class LedgerEntryEdge:
    node: _LedgerEntry
    cursor: str


class _ConnectionFields:
    """Shared behaviour; each concrete connection declares its own typed fields."""

    nodes: list
    has_next: bool
    cursor_of: CursorOf
    count: CountFn

    def _page_info(self) -> PageInfo:
        end = self.cursor_of(len(self.nodes) - 1) if self.nodes else None
        return PageInfo(has_next_page=self.has_next, end_cursor=end)


@strawberry.type
class DocumentConnection(_ConnectionFields):
    nodes: list[_Document]
    has_next: strawberry.Private[bool]
    cursor_of: strawberry.Private[CursorOf]
    count: strawberry.Private[CountFn]

    @strawberry.field
    def edges(self) -> list[DocumentEdge]:
        return [DocumentEdge(node=n, cursor=self.cursor_of(i)) for i, n in enumerate(self.nodes)]

    @strawberry.field
    def page_info(self) -> PageInfo:
        return self._page_info()

    @strawberry.field(description="Counted only when selected: one extra aggregate query.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type
class CompanyConnection(_ConnectionFields):
    nodes: list[_Company]
    has_next: strawberry.Private[bool]
    cursor_of: strawberry.Private[CursorOf]
    count: strawberry.Private[CountFn]

    @strawberry.field
    def edges(self) -> list[CompanyEdge]:
        return [CompanyEdge(node=n, cursor=self.cursor_of(i)) for i, n in enumerate(self.nodes)]

    @strawberry.field
    def page_info(self) -> PageInfo:
        return self._page_info()

    @strawberry.field(description="Counted only when selected: one extra aggregate query.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type
class LedgerEntryConnection(_ConnectionFields):
    nodes: list[_LedgerEntry]
    has_next: strawberry.Private[bool]
    cursor_of: strawberry.Private[CursorOf]
    count: strawberry.Private[CountFn]

    @strawberry.field
    def edges(self) -> list[LedgerEntryEdge]:
        return [LedgerEntryEdge(node=n, cursor=self.cursor_of(i)) for i, n in enumerate(self.nodes)]

    @strawberry.field
    def page_info(self) -> PageInfo:
        return self._page_info()

    @strawberry.field(description="Counted only when selected: one extra aggregate query.")
    async def total_count(self) -> int:
        return await self.count()
