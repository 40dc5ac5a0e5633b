"""The PostgreSQL metadata backend: table ``document_metadata`` beside the documents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.db import metadata as metadata_sql
from app.db.documents import Executor
from app.metadata.store import MetadataRecord, MetadataStatistics, SearchHit

__all__ = ["PostgresMetadataStore", "statistics_from_rows"]


def statistics_from_rows(rows: Sequence[Mapping[str, Any]]) -> MetadataStatistics:
    """Sort (kind, key, n) rows into a MetadataStatistics, biggest buckets first."""
    total = 0
    classes: list[tuple[str, int]] = []
    tags: list[tuple[str, int]] = []
    for row in rows:
        if row["kind"] == "n":
            total = int(row["n"])
        elif row["kind"] == "c":
            classes.append((row["key"], int(row["n"])))
        else:
            tags.append((row["key"], int(row["n"])))
    classes.sort(key=lambda item: (-item[1], item[0]))
    tags.sort(key=lambda item: (-item[1], item[0]))
    return MetadataStatistics(total=total, by_classification=classes, by_tag=tags)


class PostgresMetadataStore:
    """Metadata in PostgreSQL; every call is one query on ``db`` (so already counted)."""

    __slots__ = ("_db",)

    def __init__(self, db: Executor) -> None:
        self._db = db

    @property
    def in_postgres(self) -> bool:
        return True

    async def fetch_many(self, document_ids: Sequence[int]) -> dict[int, Mapping[str, Any]]:
        if not document_ids:
            return {}
        rows = await metadata_sql.metadata_by_document_ids(self._db, document_ids)
        return {row["document_id"]: row for row in rows}

    async def fetch_entities(
        self, document_ids: Sequence[int]
    ) -> dict[int, Sequence[Mapping[str, Any]]]:
        if not document_ids:
            return {}
        rows = await metadata_sql.entities_by_document_ids(self._db, document_ids)
        return {row["document_id"]: row["entities"] for row in rows}

    async def write(self, record: MetadataRecord, tx: Any = None) -> None:
        await metadata_sql.upsert_metadata(tx or self._db, record.document_id, dict(record.values))

    async def write_many(self, records: Sequence[MetadataRecord]) -> None:
        if records:
            await metadata_sql.upsert_many(
                self._db, [(r.document_id, dict(r.values)) for r in records]
            )

    async def set_tags(self, record: MetadataRecord, tags: list[str], tx: Any = None) -> None:
        await metadata_sql.set_tags(tx or self._db, record.document_id, tags)

    async def delete(self, document_ids: Sequence[int], tx: Any = None) -> int:
        if not document_ids:
            return 0
        return await metadata_sql.delete_metadata(tx or self._db, document_ids)

    async def search(
        self,
        company_ids: Sequence[int] | None,
        text: str,
        *,
        tag: str | None = None,
        after: tuple[float, int] | None = None,
        limit: int = 100,
    ) -> list[SearchHit]:
        if company_ids is not None and not company_ids:
            return []
        rows = await metadata_sql.search_metadata(
            self._db, company_ids, text, tag=tag, after=after, limit=limit
        )
        return [SearchHit(row["document_id"], float(row["rank"])) for row in rows]

    async def ids_with_tag(self, company_ids: Sequence[int] | None, tag: str) -> list[int]:
        if company_ids is not None and not company_ids:
            return []
        return await metadata_sql.ids_with_tag(self._db, company_ids, tag)

    async def statistics(self, company_ids: Sequence[int] | None) -> MetadataStatistics:
        if company_ids is not None and not company_ids:
            return MetadataStatistics()
        return statistics_from_rows(await metadata_sql.metadata_statistics(self._db, company_ids))

    async def scan(self, after_id: int, limit: int) -> list[MetadataRecord]:
        rows = await metadata_sql.scan_metadata(self._db, after_id, limit)
        return [
            MetadataRecord(
                row["document_id"],
                row["company_id"],
                row["uploaded_at"],
                {name: row[name] for name in metadata_sql.FIELDS},
            )
            for row in rows
        ]

    async def all_ids(self) -> list[int]:
        return await metadata_sql.all_metadata_ids(self._db)

    async def count(self) -> int:
        return await metadata_sql.count_metadata(self._db)
