"""The sweep's three datasets: one database each on the local PostgreSQL, migrated and
seeded by the same seeder as `vanta seed` the first time, reused afterwards.

A database that already holds documents is never seeded again (the seeder appends: a
second run would double it), and one whose count is not the one expected stops the sweep,
so a figure is never labelled with the wrong size.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import asyncpg

from app.migrate import apply_migrations

__all__ = ["DATASETS", "SweepError", "prepare_datasets"]

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
COMPANIES = 30
LEDGER_PER_DOCUMENT = 3  # as the reference dataset: 300,000 entries for 100,000 documents
# (label, database, documents); vanta_bench is the one `make bench` uses.
DATASETS = (
    ("10k", "vanta_bench_10k", 10_000),
    ("100k", "vanta_bench", 100_000),
    ("1M", "vanta_bench_1m", 1_000_000),
)
_SEED_LOCK = 0x5A_17_5EED  # one seeder per database at a time, across sessions


class SweepError(RuntimeError):
    """The sweep cannot run or its result breaks the design; the message says which."""


async def _ensure(server: str, database: str, documents: int) -> tuple[str, tuple[int, int]]:
    """Create, migrate and (when empty) seed ``database``; (DSN, (Q1 company, Q3 document))."""
    from app.seed import seed

    admin = await asyncpg.connect(f"{server}/postgres", timeout=5)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    dsn = f"{server}/{database}"
    await apply_migrations(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _SEED_LOCK)
        try:
            found = await conn.fetchval("SELECT count(*) FROM documents")
            if found == 0:
                print(f"seeding {database}: {documents:,} documents ...", flush=True)
                await seed(
                    dsn,
                    companies=COMPANIES,
                    documents=documents,
                    ledger_entries=LEDGER_PER_DOCUMENT * documents,
                )
                await conn.execute("VACUUM ANALYZE")
                found = documents
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _SEED_LOCK)
        if found != documents:
            raise SweepError(
                f"{database} holds {found:,} documents, not {documents:,}: drop it "
                f"(dropdb {database}) and the sweep seeds it afresh"
            )
        company = await conn.fetchval("SELECT min(id) FROM companies")
        document = await conn.fetchval(
            "SELECT id FROM documents WHERE company_id = $1 ORDER BY uploaded_at DESC, id DESC "
            "LIMIT 1",
            company,
        )
        return dsn, (company, document)
    finally:
        await conn.close()


def prepare_datasets(env: Mapping[str, str]) -> dict[str, tuple[str, tuple[int, int]]]:
    """label -> (DSN, (Q1 company id, Q3 document id)) for every dataset, ready to serve."""
    server = env.get("VANTA_BENCH_POSTGRES") or DEFAULT_SERVER

    async def all_of_them() -> dict[str, tuple[str, tuple[int, int]]]:
        return {label: await _ensure(server, name, size) for label, name, size in DATASETS}

    try:
        return asyncio.run(all_of_them())
    except (OSError, asyncpg.PostgresError) as error:
        raise SweepError(f"cannot prepare the sweep's databases on {server}: {error}") from error
