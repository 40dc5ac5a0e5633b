"""``connection_field()``: a company's paged list as a field, declared once.

``Company.documents``, ``Company.ledgerEntries`` and ``Query.ledgerEntries`` are the same
thing: one company's page of rows through a Source, a cursor over the sort key, a count
through another Source. A ``CompanyList`` declares that once (defaults, argument checks,
cursor kind, keys) and ``connection_field`` turns it into a Strawberry field whose company
is the parent (``Company.*``) or a ``companyId`` argument checked against the caller.

(No ``from __future__ import annotations`` here: the resolvers' annotations name the
list's own filter and node types, so they must be evaluated where they are defined.)
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Optional, TypeVar

import strawberry

from app.cursors import decode_cursor
from loaders.source import Source
from schema.connections import Connection, CountFn, check_first, empty_connection
from schema.ids import parse_id

__all__ = ["CONNECTION_METADATA_KEY", "CompanyList", "PageArguments", "connection_field"]

N = TypeVar("N")

# Where a per-company connection field keeps its CompanyList (the fast path reads it: one
# argument check per request and one batched load for every parent, no resolver call).
CONNECTION_METADATA_KEY = "company_list"


@dataclass(frozen=True, slots=True)
class PageArguments:
    """A connection's arguments, checked: the same for every parent of one selection."""

    criteria: Any
    first: int
    after: Any


@dataclass(frozen=True, slots=True)
class CompanyList(Generic[N]):
    node: type[N]
    filter: type
    default_first: int
    criteria: Callable[[Any], Any]  # filter input (or None) → criteria
    cursor: str  # cursor kind (app.cursors)
    cursor_types: tuple[type, ...]
    pages: Source[Any, Any]  # page key → Page of nodes
    counts: Source[Any, int]  # count key → total
    page_key: Callable[[int, Any, int, Any], Any]  # (company, criteria, first, after)
    count_key: Callable[[int, Any], Any]  # (company, criteria)
    connection: Callable[[list[N], bool, CountFn], Connection[N]]
    # A criteria that names another company selects nothing from this one.
    excludes: Callable[[Any, int], bool] = lambda criteria, company: False

    def arguments(self, ctx: Any, first: Any, after: Any, filter: Any) -> PageArguments:
        """Check the arguments (BAD_USER_INPUT when one is wrong)."""
        criteria = self.criteria(filter)
        first = check_first(first, ctx.settings.max_page_size, self.default_first)
        after_key = decode_cursor(after, self.cursor, self.cursor_types) if after else None
        return PageArguments(criteria, first, after_key)

    def key_of(self, company: int, arguments: PageArguments) -> Any:
        """The page key of one company's page; None when the criteria exclude it."""
        if self.excludes(arguments.criteria, company):
            return None
        return self.page_key(company, arguments.criteria, arguments.first, arguments.after)

    def connection_of(self, ctx: Any, company: int, arguments: PageArguments, page: Any) -> Any:
        """The Connection of a loaded page (its count loads on demand)."""
        if page is None:
            return empty_connection()
        count_key = self.count_key(company, arguments.criteria)
        counts = ctx.loaders.of(self.counts)
        return self.connection(page.nodes, page.has_next, lambda: counts.load(count_key))

    async def load(
        self, ctx: Any, company: int, first: Any, after: Any, filter: Any, *, visible: bool = True
    ) -> Any:
        """The page; every argument is checked first, even when nothing is visible."""
        arguments = self.arguments(ctx, first, after, filter)
        key = self.key_of(company, arguments) if visible else None
        if key is None:
            return empty_connection()
        page = await ctx.loaders.of(self.pages).load(key)
        return self.connection_of(ctx, company, arguments, page)


def connection_field(
    spec: CompanyList[Any], *, company_argument: bool = False, description: str | None = None
) -> Any:
    """The field; ``company_argument``: the company is a ``companyId`` argument (root
    fields), which the caller must be allowed to see (else an empty page)."""
    filter_type = Optional[spec.filter]  # noqa: UP045 (a runtime value, not an annotation)
    returns = Connection[spec.node]  # type: ignore[name-defined]

    if company_argument:

        async def resolve_root(
            root: Any,
            info: strawberry.Info,
            company_id: strawberry.ID,
            first: Optional[int] = spec.default_first,  # noqa: UP045
            after: Optional[str] = None,  # noqa: UP045
            filter: filter_type = None,  # type: ignore[valid-type]
        ) -> returns:  # type: ignore[valid-type]
            viewer = info.context.require_viewer()
            company = parse_id(company_id, "companyId")
            visible = viewer.can_see(company)
            return await spec.load(info.context, company, first, after, filter, visible=visible)

        return strawberry.field(resolver=resolve_root, description=description)

    async def resolve(
        root: Any,
        info: strawberry.Info,
        first: Optional[int] = spec.default_first,  # noqa: UP045
        after: Optional[str] = None,  # noqa: UP045
        filter: filter_type = None,  # type: ignore[valid-type]
    ) -> returns:  # type: ignore[valid-type]
        return await spec.load(info.context, root.pk, first, after, filter)

    return strawberry.field(
        resolver=resolve, description=description, metadata={CONNECTION_METADATA_KEY: spec}
    )
