"""Cursor kinds and the connections built over pages of documents and ledger entries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from app.cursors import encode_cursor
from schema.connections import Connection

__all__ = [
    "DOCUMENT_ASC_CURSOR",
    "DOCUMENT_CURSOR",
    "LEDGER_CURSOR",
    "SEARCH_CURSOR",
    "document_connection",
    "ledger_connection",
]

DOCUMENT_CURSOR = "doc"  # documents newest first: (uploaded_at, id) descending
DOCUMENT_ASC_CURSOR = "doc-asc"  # documents oldest first
SEARCH_CURSOR = "rank"  # search results: (rank, id) descending
LEDGER_CURSOR = "led"  # entries: (transaction_date, id) descending


# What a cursor is made of: the sort key and the primary key of a row (schema.types'
# Document and LedgerEntry have them; this module needs nothing else of theirs).
class _Uploaded(Protocol):
    pk: int
    uploaded_at: datetime


class _Transacted(Protocol):
    pk: int
    transaction_date: date


D = TypeVar("D", bound=_Uploaded)
L = TypeVar("L", bound=_Transacted)


def document_connection(
    nodes: list[D],
    has_next: bool,
    count: Any,
    *,
    kind: str = DOCUMENT_CURSOR,
    ranks: list[float] | None = None,
) -> Connection[D]:
    """A connection over ``nodes``; with ``ranks`` the cursors are search-rank cursors."""
    if ranks is None:

        def cursor_of(i: int) -> str:
            return encode_cursor(kind, nodes[i].uploaded_at, nodes[i].pk)
    else:

        def cursor_of(i: int) -> str:
            return encode_cursor(SEARCH_CURSOR, ranks[i], nodes[i].pk)

    return Connection(nodes=nodes, has_next=has_next, cursor_of=cursor_of, count=count)


def ledger_connection(nodes: list[L], has_next: bool, count: Any) -> Connection[L]:
    def cursor_of(i: int) -> str:
        return encode_cursor(LEDGER_CURSOR, nodes[i].transaction_date, nodes[i].pk)

    return Connection(nodes=nodes, has_next=has_next, cursor_of=cursor_of, count=count)
