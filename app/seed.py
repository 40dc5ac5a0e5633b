"""Load a deterministic synthetic group of companies with COPY, appending to existing data."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import asyncpg
from tqdm import tqdm

from app.seed_data import COLUMNS, IdBases, Plan, Row, SyntheticGroup

__all__ = ["DEMO_SIZES", "SeedCounts", "seed", "seed_demo_if_empty"]

# Demo size: company 1 still gets about 400 documents, enough to page through.
DEMO_SIZES = {"companies": 6, "documents": 800, "ledger_entries": 2_400}

# Any constant works; it only has to be the same in every process that seeds the demo.
DEMO_LOCK_KEY = 0x5A_17_A0_02

# Identity tables in the order their ids are reserved (a fixed order avoids lock cycles).
_IDENTITY_TABLES = ("companies", "projects", "documents", "ledger_entries")

_PROGRESS_STEP = 5_000


@dataclass(frozen=True, slots=True)
class SeedCounts:
    """Rows written per table by one seed run."""

    companies: int
    projects: int
    relationships: int
    documents: int
    ledger_entries: int


async def seed(
    dsn: str,
    *,
    companies: int = 30,
    documents: int = 100_000,
    ledger_entries: int = 300_000,
    random_seed: int = 7,
    progress: bool = True,
) -> SeedCounts:
    """Append a deterministic synthetic dataset; same arguments on an empty database, same bytes.

    Ids are reserved from each table's sequence in a short transaction of their own, so
    concurrent writers are blocked only for that moment; the rows then load in one transaction,
    so a failure leaves nothing but a gap in the sequences. ``progress`` shows a tqdm bar on a
    terminal. Every document gets one ``document_metadata`` row.
    """
    plan = _plan(companies, documents, ledger_entries, random_seed)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            ids = await _reserve_ids(conn, plan)
        async with conn.transaction():
            return await _load(conn, plan, ids, progress)
    finally:
        await conn.close()


async def seed_demo_if_empty(dsn: str) -> SeedCounts | None:
    """Seed a small demo dataset when ``companies`` is empty; return None when data exists.

    Safe when several processes start at once: an advisory transaction lock serialises them
    and each re-checks emptiness after taking it, so exactly one of them seeds.
    """
    plan = _plan(random_seed=7, **DEMO_SIZES)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", DEMO_LOCK_KEY)
            if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM companies)"):
                return None
            ids = await _reserve_ids(conn, plan)
            return await _load(conn, plan, ids, progress=False)
    finally:
        await conn.close()


def _plan(companies: int, documents: int, ledger_entries: int, random_seed: int) -> Plan:
    """Validate the sizes early, naming the bad argument, and fix the per-company layout."""
    if companies < 1:
        raise ValueError(f"companies must be >= 1, got {companies}")
    for name, value in (("documents", documents), ("ledger_entries", ledger_entries)):
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    return Plan.create(random_seed, companies, documents, ledger_entries)


async def _reserve_ids(conn: asyncpg.Connection, plan: Plan) -> IdBases:
    """Move each identity sequence past a block of ids that this run alone will write.

    The SHARE ROW EXCLUSIVE lock keeps other INSERTs (which take ROW EXCLUSIVE before they
    call nextval) out between our nextval and setval. The block starts after the largest id
    too, in case rows were written with explicit ids. Call inside a transaction.
    """
    sizes = {
        "companies": plan.companies,
        "projects": plan.projects,
        "documents": plan.documents,
        "ledger_entries": plan.ledger_entries,
    }
    tables = ", ".join(_IDENTITY_TABLES)
    await conn.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
    first: dict[str, int] = {}
    for table in _IDENTITY_TABLES:
        if sizes[table] == 0:
            first[table] = 0
            continue
        sequence = await conn.fetchval("SELECT pg_get_serial_sequence($1, 'id')", table)
        start = await conn.fetchval(
            f"SELECT greatest(nextval($1::regclass), coalesce(max(id), 0) + 1) FROM {table}",
            sequence,
        )
        await conn.execute("SELECT setval($1::regclass, $2)", sequence, start + sizes[table] - 1)
        first[table] = start
    return IdBases(**first)


async def _load(conn: asyncpg.Connection, plan: Plan, ids: IdBases, progress: bool) -> SeedCounts:
    """COPY every table in foreign-key order; call inside the loading transaction."""
    group = SyntheticGroup(plan, ids)
    company_rows = group.companies()
    project_rows = group.projects()
    relationship_rows = group.relationships()
    small = len(company_rows) + len(project_rows) + len(relationship_rows)
    total = small + 2 * plan.documents + plan.ledger_entries
    # disable=None lets tqdm switch itself off when stderr is not a terminal.
    with tqdm(total=total, unit="rows", desc="seed", disable=None if progress else True) as bar:
        for table, rows in (
            ("companies", company_rows),
            ("projects", project_rows),
            ("company_relationships", relationship_rows),
        ):
            await _copy(conn, table, rows, bar)
        await _copy(conn, "documents", group.documents(), bar)
        await _copy(conn, "document_metadata", group.document_metadata(), bar)
        await _copy(conn, "ledger_entries", group.ledger_entries(), bar)
    await _check_sequences(conn)
    return SeedCounts(
        companies=plan.companies,
        projects=plan.projects,
        relationships=len(relationship_rows),
        documents=plan.documents,
        ledger_entries=plan.ledger_entries,
    )


async def _copy(conn: asyncpg.Connection, table: str, rows: Iterable[Row], bar: tqdm) -> None:
    """Binary COPY streamed from a generator, so the server works while Python generates."""
    # COPY writes the given identity values as if OVERRIDING SYSTEM VALUE were set.
    await conn.copy_records_to_table(table, records=_counted(rows, bar), columns=COLUMNS[table])


def _counted(rows: Iterable[Row], bar: tqdm) -> Iterator[Row]:
    """Pass rows through, moving the bar in steps (a per-row update costs more than the row)."""
    pending = 0
    for row in rows:
        yield row
        pending += 1
        if pending == _PROGRESS_STEP:
            bar.update(pending)
            pending = 0
    bar.update(pending)


async def _check_sequences(conn: asyncpg.Connection) -> None:
    """Guarantee each sequence is past its table's largest id before the data is committed.

    The reservation already ensures this; the check costs one index probe per table and never
    moves a sequence backwards.
    """
    for table in _IDENTITY_TABLES:
        await conn.execute(
            f"SELECT setval(s.seq, m.max_id) "
            f"FROM (SELECT pg_get_serial_sequence('{table}', 'id')::regclass AS seq) s, "
            f"(SELECT max(id) AS max_id FROM {table}) m "
            f"WHERE m.max_id > coalesce(pg_sequence_last_value(s.seq), 0)"
        )
