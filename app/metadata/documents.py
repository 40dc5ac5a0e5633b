"""Document queries that need the metadata store when it is not inside PostgreSQL.

With the PostgreSQL backend the SQL joins ``document_metadata`` directly (one round
trip). With MongoDB the store answers first (tag → ids, text → ranked ids), then one
SQL query applies the tenant scope and every other filter to those ids.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from app.db import documents as document_sql
from app.db.documents import DocumentCriteria, DocumentPage, Executor
from app.metadata.store import MetadataStore

__all__ = ["MAX_SEARCH_CANDIDATES", "count_search", "narrow_by_tag", "search_page"]

# A MongoDB search considers at most this many best matches after the cursor.
MAX_SEARCH_CANDIDATES = 10_000


def _companies(scope: Sequence[int] | None, criteria: DocumentCriteria) -> list[int] | None:
    if criteria.company_id is not None:
        return [criteria.company_id]
    return None if scope is None else list(scope)


async def narrow_by_tag(
    store: MetadataStore | None, criteria: DocumentCriteria, company_ids: Sequence[int] | None
) -> DocumentCriteria:
    """``criteria`` with its tag turned into document ids when SQL cannot join the metadata."""
    if criteria.tag is None or store is None or store.in_postgres:
        return criteria
    ids = await store.ids_with_tag(company_ids, criteria.tag)
    return dataclasses.replace(criteria, tag=None, document_ids=tuple(ids))


async def search_page(
    db: Executor,
    store: MetadataStore,
    scope: Sequence[int] | None,
    text: str,
    criteria: DocumentCriteria,
    *,
    first: int,
    after: tuple[float, int] | None,
) -> DocumentPage:
    """One page of ranked matches; rows carry ``rank`` exactly as the SQL search does."""
    if store.in_postgres:
        return await document_sql.search_documents(
            db, scope, text, criteria, first=first, after=after
        )
    hits = await store.search(
        _companies(scope, criteria),
        text,
        tag=criteria.tag,
        after=after,
        limit=MAX_SEARCH_CANDIDATES,
    )
    if not hits:
        return DocumentPage([], False)
    rest = dataclasses.replace(criteria, tag=None)
    return await document_sql.rank_documents(db, scope, hits, rest, first=first)


async def count_search(
    db: Executor,
    store: MetadataStore,
    scope: Sequence[int] | None,
    text: str,
    criteria: DocumentCriteria,
) -> int:
    """How many documents match (the search's totalCount)."""
    if store.in_postgres:
        return await document_sql.count_search_matches(db, scope, text, criteria)
    hits = await store.search(
        _companies(scope, criteria), text, tag=criteria.tag, limit=MAX_SEARCH_CANDIDATES
    )
    if not hits:
        return 0
    ids = tuple(hit.document_id for hit in hits)
    narrowed = dataclasses.replace(criteria, tag=None, document_ids=ids)
    return await document_sql.count_documents(db, scope, narrowed)
