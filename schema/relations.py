"""One declaration per relation field: which Source, which key attribute, one or many.

The Strawberry resolver is derived from the declaration, and the declaration is kept in
the field's metadata under ``"relation"`` so a compiled execution plan batches the same
Source without a second copy of the logic. The cache tag comes with the Source.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import strawberry

from loaders.source import Source
from schema.ids import parse_id

__all__ = [
    "LOOKUP_METADATA_KEY",
    "RELATION_METADATA_KEY",
    "ROOT_LIST_METADATA_KEY",
    "Lookup",
    "Relation",
    "RootList",
    "relation",
]

RELATION_METADATA_KEY = "relation"
LOOKUP_METADATA_KEY = "lookup"
ROOT_LIST_METADATA_KEY = "root_list"


@dataclass(frozen=True, slots=True)
class Lookup:
    """A root field that loads one ``source`` value by the ID in ``argument``, for an
    authenticated caller (``Query.document``, ``Query.company``): declared once, read by
    the resolver and by the fast path, which loads it without calling the resolver."""

    source: Source[Any, Any]
    argument: str = "id"

    def key_of(self, context: Any, value: Any) -> int:
        """The key to load; UNAUTHENTICATED for anonymous callers, BAD_USER_INPUT for a bad id."""
        context.require_viewer()
        return parse_id(value)

    async def resolve(self, context: Any, value: Any) -> Any:
        return await context.loaders.of(self.source).load(self.key_of(context, value))


@dataclass(frozen=True, slots=True)
class RootList:
    """A root paged list (``Query.companies``, ``Query.documents``) as two steps:
    ``arguments(ctx, **kwargs)`` checks the resolver's keyword arguments (BAD_USER_INPUT
    when one is wrong) and ``page(ctx, checked)`` loads the connection. The resolver runs
    both (``resolve``); the fast path keeps checked arguments per plan and argument values
    and calls ``page`` directly."""

    arguments: Callable[..., Any]
    page: Callable[[Any, Any], Awaitable[Any]]

    async def resolve(self, context: Any, **kwargs: Any) -> Any:
        """What the resolver returns: UNAUTHENTICATED before any argument's error."""
        context.require_viewer()
        return await self.page(context, self.arguments(context, **kwargs))


@dataclass(frozen=True, slots=True)
class Relation:
    """``source`` is loaded with the parent's ``key`` attribute. ``join`` names the
    relation in ``app.db.projection.JOINABLE`` when the parent's statement can join it
    instead (the fast path then reads it from the parent's row)."""

    source: Source[Any, Any]
    key: str
    many: bool = False
    join: str | None = None


def relation(
    source: Source[Any, Any],
    key: str,
    *,
    many: bool = False,
    join: str | None = None,
    description: str | None = None,
) -> Any:
    """A field resolved by ``info.context.loaders.of(source).load(parent.<key>)``.

    A parent whose key is None resolves to None (or an empty list for ``many``)
    without touching the loader.
    """
    declaration = Relation(source=source, key=key, many=many, join=join)

    # No return annotation: Strawberry then takes the type from the class attribute.
    async def resolve(root: Any, info: strawberry.Info):  # type: ignore[no-untyped-def]
        key_value = getattr(root, key)
        if key_value is None:
            return [] if many else None
        return await info.context.loaders.of(source).load(key_value)

    return strawberry.field(
        resolver=resolve,
        description=description,
        metadata={RELATION_METADATA_KEY: declaration},
    )
