"""One contract, both backends: every MetadataStore call behaves the same on each."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from app.db.pool import create_pool
from app.db.session import DbSession
from app.metadata.mongo import MongoMetadataStore
from app.metadata.mongo_client import ensure_indexes
from app.metadata.postgres import PostgresMetadataStore
from app.metadata.store import READ_FIELDS, MetadataRecord, MetadataStore
from app.migrate import apply_migrations
from loaders import batch
from loaders.source import Backends
from schema.types import DocumentMetadata
from tests.conftest import TestDatabase
from tests.metadata.conftest import MongoTarget, collection_of, new_mongo_database

T0 = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)


@dataclass
class ContractDb:
    url: str
    pool: asyncpg.Pool
    mongo_database: str


@pytest.fixture(scope="module")
async def contract_db(
    test_db: TestDatabase, mongo_target: MongoTarget
) -> AsyncIterator[ContractDb]:
    url = await test_db.create_empty()
    await apply_migrations(url)
    pool = await create_pool(url, min_size=1, max_size=4)
    yield ContractDb(url, pool, new_mongo_database(mongo_target))
    await pool.close()


@dataclass
class Fixture:
    store: MetadataStore
    session: DbSession
    conn: asyncpg.Pool
    companies: tuple[int, int]

    async def document(self, company: int, hours: int = 0) -> MetadataRecord:
        """A document row of ``company``, returned as an empty record to fill."""
        uploaded = T0 + timedelta(hours=hours)
        doc_id = await self.conn.fetchval(
            "INSERT INTO documents (company_id, filename, document_type, category, "
            "processing_status, uploaded_at) VALUES ($1, 'f.txt', 'invoice', 'financial', "
            "'processed', $2) RETURNING id",
            company,
            uploaded,
        )
        return MetadataRecord(doc_id, company, uploaded, {})


def _values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "tags": ["invoice"],
        "keywords": ["cement"],
        "classification": "invoice",
        "summary": "Cement supply",
        "invoice_number": "INV-1",
        "vendor_name": "Simba Cement",
        "total_amount": Decimal("12500.50"),
        "currency": "KES",
        "risk_score": 0.25,
        "entities": [{"label": "ORG", "text": "Simba", "start": 0, "end": 5}],
        "text": "Invoice for cement supply",
    }
    values.update(overrides)
    return values


def _with(record: MetadataRecord, **overrides: Any) -> MetadataRecord:
    return MetadataRecord(
        record.document_id, record.company_id, record.uploaded_at, _values(**overrides)
    )


@pytest.fixture(params=["postgres", "mongo"])
async def fx(
    request: pytest.FixtureRequest, contract_db: ContractDb, mongo_target: MongoTarget
) -> AsyncIterator[Fixture]:
    pool = contract_db.pool
    await pool.execute("TRUNCATE documents, companies RESTART IDENTITY CASCADE")
    companies = []
    for name in ("Alpha", "Beta"):
        companies.append(
            await pool.fetchval(
                "INSERT INTO companies (name, company_type) VALUES ($1, 'core_family') "
                "RETURNING id",
                name,
            )
        )
    session = DbSession(pool)
    client = None
    if request.param == "postgres":
        store: MetadataStore = PostgresMetadataStore(session)
    else:
        client, database = collection_of(mongo_target, contract_db.mongo_database)
        collection = database.database[f"contract_{uuid.uuid4().hex[:8]}"]
        await ensure_indexes(collection)
        store = MongoMetadataStore(collection, session)
    yield Fixture(store, session, pool, (companies[0], companies[1]))
    if client is not None and mongo_target.real:
        await client.close()


async def test_fetch_many_returns_found_ids_with_read_fields_only(fx: Fixture) -> None:
    a, _ = fx.companies
    one, two = await fx.document(a), await fx.document(a, 1)
    await fx.store.write(_with(one))
    before = fx.session.round_trips
    found = await fx.store.fetch_many([two.document_id, one.document_id, 999_999])
    assert fx.session.round_trips == before + 1
    assert list(found) == [one.document_id]
    row = found[one.document_id]
    expected = _values()
    for name in READ_FIELDS:
        assert row[name] == expected[name], name
    assert "text" not in dict(row)
    assert isinstance(row["total_amount"], Decimal)


async def test_fetch_many_of_no_ids_costs_no_round_trip(fx: Fixture) -> None:
    assert await fx.store.fetch_many([]) == {}
    assert fx.session.round_trips == 0


async def test_fetch_entities_reads_only_entities_of_found_ids(fx: Fixture) -> None:
    a, _ = fx.companies
    one, two = await fx.document(a), await fx.document(a, 1)
    await fx.store.write(_with(one))
    assert "entities" not in dict((await fx.store.fetch_many([one.document_id]))[one.document_id])
    before = fx.session.round_trips
    found = await fx.store.fetch_entities([two.document_id, one.document_id, 999_999])
    assert fx.session.round_trips == before + 1
    assert {k: [dict(e) for e in v] for k, v in found.items()} == {
        one.document_id: _values()["entities"]
    }
    assert await fx.store.fetch_entities([]) == {}
    assert fx.session.round_trips == before + 1


async def test_metadata_loader_answers_in_key_order_with_none_for_missing(fx: Fixture) -> None:
    a, b = fx.companies
    records = [await fx.document(a), await fx.document(b), await fx.document(a, 2)]
    for i, record in enumerate(records):
        await fx.store.write(_with(record, vendor_name=f"V{i}"))
    keys = [records[2].document_id, 424_242, records[0].document_id, records[1].document_id]
    before = fx.session.round_trips
    result = await batch.metadata(
        Backends(fx.session, fx.store),
        None,
        keys,
        DocumentMetadata.from_row,  # type: ignore[arg-type]
    )
    assert fx.session.round_trips == before + 1
    assert [m.vendor_name if m else None for m in result] == ["V2", None, "V0", "V1"]


async def test_write_replaces_and_empty_values_get_defaults(fx: Fixture) -> None:
    record = await fx.document(fx.companies[0])
    await fx.store.write(_with(record))
    await fx.store.write(MetadataRecord(record.document_id, record.company_id, T0, {}))
    row = (await fx.store.fetch_many([record.document_id]))[record.document_id]
    assert list(row["tags"]) == [] and list(row["keywords"]) == []
    assert await fx.store.fetch_entities([record.document_id]) == {record.document_id: []}
    assert row["vendor_name"] is None and row["total_amount"] is None
    assert await fx.store.count() == 1


async def test_write_many_scan_count_and_all_ids(fx: Fixture) -> None:
    a, b = fx.companies
    records = [
        _with(await fx.document(c, i), invoice_number=f"N{i}") for i, c in enumerate((a, b, a))
    ]
    before = fx.session.round_trips
    await fx.store.write_many(records)
    assert fx.session.round_trips == before + 1
    await fx.store.write_many(records)  # idempotent
    assert await fx.store.count() == 3
    assert sorted(await fx.store.all_ids()) == [r.document_id for r in records]
    first = await fx.store.scan(0, 2)
    rest = await fx.store.scan(first[-1].document_id, 2)
    scanned = first + rest
    assert [r.document_id for r in scanned] == [r.document_id for r in records]
    assert [r.company_id for r in scanned] == [a, b, a]
    assert [r.uploaded_at for r in scanned] == [r.uploaded_at for r in records]
    assert [r.values["invoice_number"] for r in scanned] == ["N0", "N1", "N2"]
    assert scanned[0].values["text"] == "Invoice for cement supply"
    assert scanned[0].values["total_amount"] == Decimal("12500.50")
    assert await fx.store.scan(scanned[-1].document_id, 10) == []


async def test_set_tags_replaces_tags_and_keeps_the_rest(fx: Fixture) -> None:
    a, _ = fx.companies
    record, bare = await fx.document(a), await fx.document(a, 1)
    await fx.store.write(_with(record))
    await fx.store.set_tags(record, ["urgent", "q3"])
    await fx.store.set_tags(bare, ["new"])
    found = await fx.store.fetch_many([record.document_id, bare.document_id])
    assert list(found[record.document_id]["tags"]) == ["urgent", "q3"]
    assert found[record.document_id]["vendor_name"] == "Simba Cement"
    assert list(found[bare.document_id]["tags"]) == ["new"]
    assert await fx.store.ids_with_tag([a], "new") == [bare.document_id]


async def test_delete_counts_what_existed(fx: Fixture) -> None:
    a, _ = fx.companies
    one, two = await fx.document(a), await fx.document(a, 1)
    await fx.store.write_many([_with(one), _with(two)])
    assert await fx.store.delete([one.document_id, 777_777]) == 1
    assert await fx.store.delete([one.document_id]) == 0
    assert await fx.store.delete([]) == 0
    assert await fx.store.all_ids() == [two.document_id]


async def _search_world(fx: Fixture) -> dict[str, list[int]]:
    a, b = fx.companies
    ids: dict[str, list[int]] = {"a": [], "b": []}
    texts = [
        ("a", "cement cement cement bulk cement order", ["bulk"]),
        ("a", "cement supply delivered to the site", ["urgent"]),
        ("a", "routine maintenance report", ["urgent"]),
        ("b", "cement supply for depot", ["urgent"]),
        ("a", "cement supply delivered to the yard", []),
    ]
    for i, (key, text, tags) in enumerate(texts):
        record = await fx.document(a if key == "a" else b, i)
        # Only text and summary are searchable in both backends (MongoDB's one text index).
        plain = {"keywords": [], "vendor_name": None, "invoice_number": None}
        await fx.store.write(
            _with(record, text=text, summary=None, tags=tags, classification=None, **plain)
        )
        ids[key].append(record.document_id)
    return ids


async def test_search_is_restricted_to_the_given_companies_and_ranked(fx: Fixture) -> None:
    a, b = fx.companies
    ids = await _search_world(fx)
    hits = await fx.store.search([a], "cement")
    assert [h.document_id for h in hits] == [ids["a"][0], ids["a"][3], ids["a"][1]]
    assert hits[0].rank > hits[1].rank >= hits[2].rank
    only_b = await fx.store.search([b], "cement")
    assert [h.document_id for h in only_b] == [ids["b"][0]]
    everyone = await fx.store.search(None, "cement")
    assert {h.document_id for h in everyone} == {*ids["a"][:2], ids["a"][3], ids["b"][0]}
    assert await fx.store.search([], "cement") == []
    assert await fx.store.search([a], "nothingmatches") == []


async def test_search_requires_every_word(fx: Fixture) -> None:
    a, _ = fx.companies
    ids = await _search_world(fx)
    hits = await fx.store.search([a], "cement yard")
    assert [h.document_id for h in hits] == [ids["a"][3]]


async def test_search_keyset_pages_have_no_duplicates_and_cover_all(fx: Fixture) -> None:
    ids = await _search_world(fx)
    everything = [h.document_id for h in await fx.store.search(None, "cement")]
    seen: list[int] = []
    after = None
    for _ in range(10):
        page = await fx.store.search(None, "cement", after=after, limit=1)
        if not page:
            break
        seen.append(page[0].document_id)
        after = (page[0].rank, page[0].document_id)
    assert seen == everything
    assert len(seen) == len({*ids["a"][:2], ids["a"][3], ids["b"][0]})


async def test_search_with_tag(fx: Fixture) -> None:
    a, b = fx.companies
    ids = await _search_world(fx)
    hits = await fx.store.search([a, b], "cement", tag="urgent")
    assert {h.document_id for h in hits} == {ids["a"][1], ids["b"][0]}


async def test_ids_with_tag_is_restricted_to_companies(fx: Fixture) -> None:
    a, b = fx.companies
    ids = await _search_world(fx)
    assert await fx.store.ids_with_tag([a], "urgent") == sorted(ids["a"][1:3])
    assert await fx.store.ids_with_tag([b], "urgent") == ids["b"]
    assert await fx.store.ids_with_tag(None, "urgent") == sorted([*ids["a"][1:3], *ids["b"]])
    assert await fx.store.ids_with_tag([], "urgent") == []
    assert await fx.store.ids_with_tag([a], "missing") == []


async def test_statistics_is_one_aggregation_per_company_set(fx: Fixture) -> None:
    a, b = fx.companies
    for i, (company, classification, tags) in enumerate(
        [
            (a, "invoice", ["x", "y"]),
            (a, "invoice", ["x"]),
            (a, "receipt", []),
            (a, None, ["y"]),
            (b, "contract", ["x"]),
        ]
    ):
        record = await fx.document(company, i)
        await fx.store.write(_with(record, classification=classification, tags=tags))
    before = fx.session.round_trips
    stats = await fx.store.statistics([a])
    assert fx.session.round_trips == before + 1
    assert stats.total == 4
    assert stats.by_classification == [("invoice", 2), ("receipt", 1)]
    assert stats.by_tag == [("x", 2), ("y", 2)]
    both = await fx.store.statistics(None)
    assert both.total == 5
    assert both.by_classification == [("invoice", 2), ("contract", 1), ("receipt", 1)]
    assert (await fx.store.statistics([b])).by_tag == [("x", 1)]
    empty = await fx.store.statistics([])
    assert (empty.total, empty.by_tag) == (0, [])
