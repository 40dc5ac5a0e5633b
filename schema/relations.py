"""One declaration per relation field: which loader, which key attribute, one or many.

The Strawberry resolver is derived from the declaration, and the declaration is kept in
the field's metadata under ``"relation"`` so a compiled execution plan can batch the same
relation without a second copy of the logic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry

__all__ = ["RELATION_METADATA_KEY", "Relation", "relation"]

RELATION_METADATA_KEY = "relation"


@dataclass(frozen=True, slots=True)
class Relation:
    """``loader`` names an attribute of ``Loaders``; ``key`` an attribute of the parent."""

    loader: str
    key: str
    many: bool = False


def relation(loader: str, key: str, *, many: bool = False, description: str | None = None) -> Any:
    """A field resolved by ``info.context.loaders.<loader>.load(parent.<key>)``.

    A parent whose key is None resolves to None (or an empty list for ``many``)
    without touching the loader.
    """
    declaration = Relation(loader=loader, key=key, many=many)

    # No return annotation: Strawberry then takes the type from the class attribute.
    async def resolve(root: Any, info: strawberry.Info):  # type: ignore[no-untyped-def]
        key_value = getattr(root, key)
        if key_value is None:
            return [] if many else None
        return await getattr(info.context.loaders, loader).load(key_value)

    return strawberry.field(
        resolver=resolve,
        description=description,
        metadata={RELATION_METADATA_KEY: declaration},
    )
