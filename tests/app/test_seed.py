"""The synthetic seeder: exact, deterministic, consistent, appending and concurrency-safe."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from app.domain import DOCUMENT_TYPES, ENTRY_TYPES, category_for
from app.migrate import apply_migrations
from app.seed import DEMO_SIZES, SeedCounts, seed, seed_demo_if_empty
from app.seed_data import ANCHOR_DATE, SyntheticGroup

ADMIN_URL = (
    os.environ.get("VANTA_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
)
SMALL = {"companies": 4, "documents": 500, "ledger_entries": 800}
TABLES = ("companies", "projects", "company_relationships", "documents", "document_metadata",
          "ledger_entries")  # fmt: skip
IDENTITY_TABLES = ("companies", "projects", "documents", "ledger_entries")

NewDatabase = Callable[[], Awaitable[str]]


def _with_database(url: str, name: str) -> str:
    head, sep, query = url.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}{sep}{query}"


@asynccontextmanager
async def _connect(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def new_database() -> AsyncIterator[NewDatabase]:
    """Factory of migrated throwaway databases, all dropped when the module ends."""
    try:
        admin = await asyncpg.connect(ADMIN_URL, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        pytest.skip(f"no PostgreSQL at VANTA_TEST_DATABASE_URL or the default: {error}")
    names: list[str] = []

    async def create() -> str:
        name = f"vanta_seed_test_{uuid.uuid4().hex[:12]}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        names.append(name)
        dsn = _with_database(ADMIN_URL, name)
        await apply_migrations(dsn)
        return dsn

    try:
        yield create
    finally:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="module")
async def seeded(new_database: NewDatabase) -> tuple[str, SeedCounts]:
    """One small seeded database that the read-only tests share."""
    dsn = await new_database()
    return dsn, await seed(dsn, **SMALL, progress=False)


async def _table_counts(dsn: str) -> dict[str, int]:
    async with _connect(dsn) as conn:
        return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}


async def _checksums(dsn: str) -> dict[str, str]:
    async with _connect(dsn) as conn:
        return {
            t: await conn.fetchval(
                f"SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {t} t"
            )
            for t in TABLES
        }


async def _inconsistencies(dsn: str) -> dict[str, int]:
    """Rows that break a rule the seeder promises; every value should be zero."""
    checks = {
        "document project of another company": "SELECT count(*) FROM documents d "
        "JOIN projects p ON p.id = d.project_id WHERE p.company_id <> d.company_id",
        "ledger project of another company": "SELECT count(*) FROM ledger_entries l "
        "JOIN projects p ON p.id = l.project_id WHERE p.company_id <> l.company_id",
        "ledger document of another company": "SELECT count(*) FROM ledger_entries l "
        "JOIN documents d ON d.id = l.document_id WHERE d.company_id <> l.company_id",
        "approved_by not set exactly when approved": "SELECT count(*) FROM ledger_entries "
        "WHERE (approval_status = 'approved') <> (approved_by IS NOT NULL)",
        "non-positive amount": "SELECT count(*) FROM ledger_entries WHERE amount <= 0",
        "document without metadata": "SELECT count(*) FROM documents d WHERE NOT EXISTS "
        "(SELECT 1 FROM document_metadata m WHERE m.document_id = d.id)",
        "metadata without search vector": "SELECT count(*) FROM document_metadata "
        "WHERE search_vector IS NULL OR search_vector = ''::tsvector",
    }
    async with _connect(dsn) as conn:
        return {name: await conn.fetchval(sql) for name, sql in checks.items()}


async def test_seed_returns_the_counts_it_wrote(seeded: tuple[str, SeedCounts]) -> None:
    dsn, counts = seeded
    assert (counts.companies, counts.documents, counts.ledger_entries) == (4, 500, 800)
    assert await _table_counts(dsn) == {
        "companies": counts.companies,
        "projects": counts.projects,
        "company_relationships": counts.relationships,
        "documents": counts.documents,
        "document_metadata": counts.documents,
        "ledger_entries": counts.ledger_entries,
    }
    assert counts.projects >= 2 * counts.companies
    assert counts.relationships > 0


async def test_same_seed_on_empty_databases_writes_identical_data(
    seeded: tuple[str, SeedCounts], new_database: NewDatabase
) -> None:
    other = await new_database()
    await seed(other, **SMALL, progress=False)
    assert await _checksums(other) == await _checksums(seeded[0])


async def test_other_random_seed_writes_other_data(
    seeded: tuple[str, SeedCounts], new_database: NewDatabase
) -> None:
    other = await new_database()
    await seed(other, **SMALL, random_seed=8, progress=False)
    theirs, ours = await _checksums(other), await _checksums(seeded[0])
    assert all(theirs[t] != ours[t] for t in TABLES)


async def test_seeded_rows_keep_the_domain_rules(seeded: tuple[str, SeedCounts]) -> None:
    problems = await _inconsistencies(seeded[0])
    assert problems == dict.fromkeys(problems, 0)


async def test_category_follows_document_type_and_all_types_occur(
    seeded: tuple[str, SeedCounts],
) -> None:
    async with _connect(seeded[0]) as conn:
        rows = await conn.fetch("SELECT DISTINCT document_type, category FROM documents")
        entry_types = await conn.fetchval(
            "SELECT array_agg(DISTINCT entry_type) FROM ledger_entries"
        )
    assert {row["document_type"] for row in rows} == set(DOCUMENT_TYPES)
    assert all(row["category"] == category_for(row["document_type"]) for row in rows)
    assert set(entry_types) == set(ENTRY_TYPES)


async def test_entities_point_at_their_text(seeded: tuple[str, SeedCounts]) -> None:
    async with _connect(seeded[0]) as conn:
        rows = await conn.fetch("SELECT entities, text FROM document_metadata")
    for row in rows:
        entities = json.loads(row["entities"])
        assert {e["label"] for e in entities} >= {"ORG", "DATE", "GPE"}
        for entity in entities:
            assert row["text"][entity["start"] : entity["end"]] == entity["text"]
        assert 150 <= len(row["text"]) <= 400


async def test_dates_are_fixed_to_the_anchor_not_today(seeded: tuple[str, SeedCounts]) -> None:
    anchor = datetime(ANCHOR_DATE.year, ANCHOR_DATE.month, ANCHOR_DATE.day, tzinfo=UTC)
    async with _connect(seeded[0]) as conn:
        first, last = await conn.fetchrow(
            "SELECT min(uploaded_at), max(uploaded_at) FROM documents"
        )
        day_first, day_last = await conn.fetchrow(
            "SELECT min(transaction_date), max(transaction_date) FROM ledger_entries"
        )
    assert anchor - timedelta(days=730) <= first <= last < anchor
    assert anchor.date() - timedelta(days=730) <= day_first <= day_last < ANCHOR_DATE


async def test_company_one_owns_the_largest_share(seeded: tuple[str, SeedCounts]) -> None:
    async with _connect(seeded[0]) as conn:
        shares = await conn.fetch(
            "SELECT company_id, count(*) AS n FROM documents GROUP BY 1 ORDER BY n DESC"
        )
    assert shares[0]["company_id"] == 1
    assert shares[0]["n"] > 2 * shares[-1]["n"]


async def test_sequences_continue_after_seeded_ids(new_database: NewDatabase) -> None:
    dsn = await new_database()
    await seed(dsn, **SMALL, progress=False)
    async with _connect(dsn) as conn:
        maxima = {t: await conn.fetchval(f"SELECT max(id) FROM {t}") for t in IDENTITY_TABLES}
        company = await conn.fetchval(
            "INSERT INTO companies (name, company_type) VALUES ('Later Ltd', 'subsidiary') "
            "RETURNING id"
        )
        project = await conn.fetchval(
            "INSERT INTO projects (company_id, name) VALUES ($1, 'Later') RETURNING id", company
        )
        document = await conn.fetchval(
            "INSERT INTO documents (company_id, filename, document_type, category) "
            "VALUES ($1, 'later.pdf', 'other', 'general') RETURNING id",
            company,
        )
        entry = await conn.fetchval(
            "INSERT INTO ledger_entries (company_id, entry_type, amount, transaction_date) "
            "VALUES ($1, 'income', 1, current_date) RETURNING id",
            company,
        )
    new_ids = dict(zip(IDENTITY_TABLES, (company, project, document, entry), strict=True))
    assert all(new_ids[t] > maxima[t] for t in IDENTITY_TABLES)


async def test_seeding_twice_appends_without_collisions(new_database: NewDatabase) -> None:
    dsn = await new_database()
    first = await seed(dsn, **SMALL, progress=False)
    second = await seed(dsn, **SMALL, progress=False)
    assert first == second
    counts = await _table_counts(dsn)
    assert counts["companies"] == 2 * first.companies
    assert counts["documents"] == counts["document_metadata"] == 2 * first.documents
    assert counts["ledger_entries"] == 2 * first.ledger_entries
    assert counts["company_relationships"] == 2 * first.relationships
    assert set((await _inconsistencies(dsn)).values()) == {0}
    async with _connect(dsn) as conn:
        # The second run's companies follow the first run's and own only their own rows.
        assert await conn.fetchval("SELECT min(company_id) FROM documents WHERE id > 500") == 5


async def test_reserved_ids_skip_rows_written_with_explicit_ids(new_database: NewDatabase) -> None:
    dsn = await new_database()
    async with _connect(dsn) as conn:
        await conn.execute(
            "INSERT INTO companies (id, name, company_type) OVERRIDING SYSTEM VALUE "
            "VALUES (1000, 'Imported Ltd', 'business_partner')"
        )
    await seed(dsn, **SMALL, progress=False)
    async with _connect(dsn) as conn:
        ids = await conn.fetchval("SELECT array_agg(id ORDER BY id) FROM companies")
    assert ids == [1000, 1001, 1002, 1003, 1004]


async def test_a_failure_leaves_no_rows(
    new_database: NewDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: SyntheticGroup) -> Iterator[tuple[Any, ...]]:
        raise RuntimeError("generator broke halfway")
        yield ()

    dsn = await new_database()
    monkeypatch.setattr(SyntheticGroup, "ledger_entries", broken)
    with pytest.raises(RuntimeError, match="halfway"):
        await seed(dsn, **SMALL, progress=False)
    assert set((await _table_counts(dsn)).values()) == {0}


async def test_demo_seeds_once_even_when_called_concurrently(new_database: NewDatabase) -> None:
    dsn = await new_database()
    results = await asyncio.gather(*(seed_demo_if_empty(dsn) for _ in range(3)))
    seeded_runs = [r for r in results if r is not None]
    assert len(seeded_runs) == 1
    assert seeded_runs[0].documents == DEMO_SIZES["documents"]
    assert await seed_demo_if_empty(dsn) is None
    async with _connect(dsn) as conn:
        assert await conn.fetchval("SELECT count(*) FROM companies") == DEMO_SIZES["companies"]
        assert await conn.fetchval("SELECT count(*) FROM documents WHERE company_id = 1") >= 300


@pytest.mark.parametrize(
    ("arguments", "named"),
    [({"companies": 0}, "companies"), ({"documents": -1}, "documents"),
     ({"ledger_entries": -5}, "ledger_entries")],
)  # fmt: skip
async def test_bad_sizes_fail_before_connecting(arguments: dict[str, int], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        await seed("postgresql://nobody@127.0.0.1:1/none", progress=False, **arguments)
