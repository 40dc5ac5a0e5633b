"""Cursor kinds and the connections built over pages of documents and ledger entries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.cursors import encode_cursor
from schema.connections import Connection

if TYPE_CHECKING:
    from schema.types import Document, LedgerEntry

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


def document_connection(
    nodes: list[Document],
    has_next: bool,
    count: Any,
    *,
    kind: str = DOCUMENT_CURSOR,
    ranks: list[float] | None = None,
) -> Connection[Document]:
    """A connection over ``nodes``; with ``ranks`` the cursors are search-rank cursors."""
    if ranks is None:

        def cursor_of(i: int) -> str:
            return encode_cursor(kind, nodes[i].uploaded_at, nodes[i].pk)
    else:

        def cursor_of(i: int) -> str:
            return encode_cursor(SEARCH_CURSOR, ranks[i], nodes[i].pk)

    return Connection(nodes=nodes, has_next=has_next, cursor_of=cursor_of, count=count)


def ledger_connection(
    nodes: list[LedgerEntry], has_next: bool, count: Any
) -> Connection[LedgerEntry]:
    def cursor_of(i: int) -> str:
        return encode_cursor(LEDGER_CURSOR, nodes[i].transaction_date, nodes[i].pk)

    return Connection(nodes=nodes, has_next=has_next, cursor_of=cursor_of, count=count)
