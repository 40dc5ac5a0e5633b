"""The per-request set of DataLoaders: one per relation, scoped to the caller's companies.

Built fresh for every request (a shared loader would leak one request's cache, and one
tenant's rows, into the next). With batching off every key is its own query and
nothing is cached: the naive one-query-per-row baseline the benchmark compares against.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from app.auth import Viewer
from app.cache import tags
from app.db.session import DbSession
from app.metadata.postgres import PostgresMetadataStore
from app.metadata.store import MetadataStore
from loaders import batch
from loaders.dataloader import DataLoader
from loaders.keys import (
    DocumentCountKey,
    DocumentPageKey,
    LedgerCountKey,
    LedgerPageKey,
    SummaryKey,
)
from schema.types import (
    Company,
    CompanyRelationship,
    Document,
    DocumentMetadata,
    ExtractedEntity,
    FinancialSummary,
    LedgerEntry,
    Project,
)

__all__ = ["Loaders", "create_loaders"]

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Loaders:
    company: DataLoader[int, Company | None]
    document: DataLoader[int, Document | None]
    project: DataLoader[int, Project | None]
    ledger_entry: DataLoader[int, LedgerEntry | None]
    metadata: DataLoader[int, DocumentMetadata | None]
    entities: DataLoader[int, list[ExtractedEntity]]
    company_projects: DataLoader[int, list[Project]]
    company_relationships: DataLoader[int, list[CompanyRelationship]]
    company_documents: DataLoader[DocumentPageKey, batch.Page[Document]]
    company_document_count: DataLoader[DocumentCountKey, int]
    company_ledger: DataLoader[LedgerPageKey, batch.Page[LedgerEntry]]
    company_ledger_count: DataLoader[LedgerCountKey, int]
    financial_summary: DataLoader[SummaryKey, FinancialSummary]


def _company_documents_tag(key: DocumentPageKey | DocumentCountKey) -> str:
    return tags.company_documents(key.company_id)


def _company_ledger_tag(key: LedgerPageKey | LedgerCountKey | SummaryKey) -> str:
    return tags.company_ledger(key.company_id)


def create_loaders(
    db: DbSession,
    viewer: Viewer | None,
    *,
    batching: bool = True,
    metadata: MetadataStore | None = None,
    cache_tags: set[str] | None = None,
) -> Loaders:
    """Loaders for one request; ``viewer`` None (anonymous) sees no rows at all.

    ``metadata`` is the request's metadata store (default: PostgreSQL on ``db``). Every
    key loaded adds its cache tag to ``cache_tags``, so the response cache knows which
    mutations make a stored response stale; None records nothing (a response that will
    not be stored needs no tags, and computing them is a string per key).
    """
    scope: list[int] | None = [] if viewer is None else viewer.scope
    store = metadata if metadata is not None else PostgresMetadataStore(db)
    recorded = cache_tags

    def make(
        fn: Callable[[Any, Any, Sequence[K]], Awaitable[list[V]]],
        tag_of: Callable[[K], str],
        source: Any = db,
    ) -> DataLoader[K, V]:
        async def load(keys: list[K]) -> list[V]:
            if recorded is not None:
                recorded.update(map(tag_of, keys))
            return await fn(source, scope, keys)

        if batching:
            return DataLoader(load)
        return DataLoader(load, max_batch_size=1, cache=False)

    return Loaders(
        company=make(batch.companies, tags.company),
        document=make(batch.documents, tags.document),
        project=make(batch.projects, tags.project),
        ledger_entry=make(batch.ledger_entries, tags.ledger_entry),
        metadata=make(batch.metadata, tags.document, store),
        entities=make(batch.entities, tags.document, store),
        company_projects=make(batch.company_projects, tags.company_projects),
        company_relationships=make(batch.company_relationships, tags.company_relationships),
        company_documents=make(
            partial(batch.company_documents, store=store), _company_documents_tag
        ),
        company_document_count=make(
            partial(batch.company_document_counts, store=store), _company_documents_tag
        ),
        company_ledger=make(batch.company_ledger, _company_ledger_tag),
        company_ledger_count=make(batch.company_ledger_counts, _company_ledger_tag),
        financial_summary=make(batch.financial_summaries, _company_ledger_tag),
    )
