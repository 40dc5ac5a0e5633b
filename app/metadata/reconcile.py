"""Find and repair disagreements between the documents table and the metadata store.

What counts as a disagreement, and its repair:

- metadata whose document row is gone (a delete whose row went first): the metadata is
  deleted;
- a ``pending`` row without metadata older than the grace period (an upload that failed
  and whose clean-up failed too): the row is deleted, the upload never succeeded;
- a ``processed`` row without metadata (metadata lost in the store): the row is marked
  ``failed`` and kept, so nobody sees it as a whole document and it can be re-uploaded.

``failed`` rows without metadata are a settled state and are not reported again; younger
``pending`` rows are uploads in flight and are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from app.db import document_writes
from app.db.documents import Executor
from app.metadata.store import MetadataStore

__all__ = ["ReconcileReport", "reconcile"]


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    orphan_metadata: list[int] = field(default_factory=list)
    unfinished_uploads: list[int] = field(default_factory=list)
    lost_metadata: list[int] = field(default_factory=list)
    repaired: bool = False

    @property
    def clean(self) -> bool:
        """True when both stores agree."""
        return not (self.orphan_metadata or self.unfinished_uploads or self.lost_metadata)

    def lines(self) -> list[str]:
        """What was found and what was (or would be) done, one line per kind."""
        verb = "" if self.repaired else "would be "
        if self.clean:
            return ["reconcile: documents and metadata agree; nothing to do"]
        return [
            f"metadata without a document row: {len(self.orphan_metadata)} "
            f"({verb}deleted){_sample(self.orphan_metadata)}",
            f"unfinished uploads (pending, no metadata): {len(self.unfinished_uploads)} "
            f"({verb}deleted){_sample(self.unfinished_uploads)}",
            f"processed documents without metadata: {len(self.lost_metadata)} "
            f"({verb}marked failed){_sample(self.lost_metadata)}",
        ]


def _sample(ids: list[int], limit: int = 10) -> str:
    if not ids:
        return ""
    more = f", … {len(ids) - limit} more" if len(ids) > limit else ""
    return f": ids {', '.join(map(str, ids[:limit]))}{more}"


async def reconcile(
    db: Executor,
    store: MetadataStore,
    *,
    repair: bool = True,
    grace: timedelta = timedelta(minutes=5),
    now: datetime | None = None,
) -> ReconcileReport:
    """Compare every document row with the store; repair when ``repair`` is true."""
    cutoff = (now or datetime.now(UTC)) - grace
    rows = await document_writes.document_states(db)
    with_metadata = set(await store.all_ids())
    row_ids = {row["id"] for row in rows}
    orphans = sorted(with_metadata - row_ids)
    unfinished = [
        row["id"]
        for row in rows
        if row["id"] not in with_metadata
        and row["processing_status"] == "pending"
        and row["uploaded_at"] <= cutoff
    ]
    lost = [
        row["id"]
        for row in rows
        if row["id"] not in with_metadata and row["processing_status"] == "processed"
    ]
    if repair:
        if orphans:
            await store.delete(orphans)
        if unfinished:
            await document_writes.delete_documents(db, unfinished)
        if lost:
            await document_writes.mark_failed(db, lost)
    return ReconcileReport(orphans, unfinished, lost, repaired=repair)
