"""A typed batch source: one declaration per relation's data, read by every execution path.

A ``Source`` says how to fetch many keys in one query (``fetch``), how a row becomes the
value callers get (``build``, passed in by the schema so this package never imports it)
and which cache tag each key's answer depends on (``tag``). Relation fields, connection
resolvers and the fast path all name a Source object, never a string; the per-request
``Loaders`` (loaders.factory) make one DataLoader per Source on first use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from app.db.projection import FULL, Projection
from app.db.session import DbSession
from app.metadata.store import MetadataStore

__all__ = ["Backends", "Build", "Fetch", "Scope", "Source"]

K = TypeVar("K")
V = TypeVar("V")
Scope = Sequence[int] | None  # the caller's company ids; None: all
Build = Callable[[Any], Any]  # a row (asyncpg Record or mapping) → the value callers get


@dataclass(frozen=True, slots=True)
class Backends:
    """Where one request's batch functions read from, and how documents are read:
    ``projection`` (app.db.projection) is the fast path's choice of columns and joins
    for this execution, FULL otherwise."""

    db: DbSession
    metadata: MetadataStore
    projection: Projection = FULL


Fetch = Callable[[Backends, Scope, Sequence[K], Build], Awaitable[list[V]]]


@dataclass(frozen=True, eq=False, slots=True)
class Source(Generic[K, V]):
    """``fetch(backends, scope, keys, build)`` answers in key order (None / empty when a
    key matches nothing or lies outside ``scope``); ``builder()`` gives ``build``, called
    once per batch so a schema type may be named before it is defined."""

    name: str
    fetch: Fetch[K, V]
    tag: Callable[[K], str]
    builder: Callable[[], Build]

    def __repr__(self) -> str:
        return f"Source({self.name})"
