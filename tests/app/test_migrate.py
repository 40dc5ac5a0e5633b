"""Migrations: ordered, recorded with checksums, safe to run twice or from two processes."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import asyncpg
import pytest

from app.migrate import MIGRATIONS_DIR, MigrationError, apply_migrations, load_migrations
from tests.conftest import TestDatabase

ALL = [m.name for m in load_migrations()]


async def _recorded(url: str) -> list[tuple[int, str]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT version, name FROM schema_migrations ORDER BY version")
    finally:
        await conn.close()
    return [(r["version"], r["name"]) for r in rows]


def _copy_migrations(tmp_path: Path) -> Path:
    target = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, target)
    return target


async def test_second_run_applies_nothing(test_db: TestDatabase) -> None:
    url = await test_db.create_empty()
    assert await apply_migrations(url) == ALL
    assert await apply_migrations(url) == []
    assert [name for _, name in await _recorded(url)] == ALL


async def test_two_processes_migrating_at_once_apply_each_file_once(test_db: TestDatabase) -> None:
    url = await test_db.create_empty()
    env = {**os.environ, "VANTA_DATABASE_URL": url}
    vanta = [sys.executable, "-m", "app.cli", "migrate"]
    procs = [
        await asyncio.create_subprocess_exec(
            *vanta, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(2)
    ]
    outputs = [await p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    texts = [out.decode() for out, _ in outputs]
    assert sum("migrations applied" in t for t in texts) == 1, texts
    assert sum("up to date" in t for t in texts) == 1, texts
    assert [name for _, name in await _recorded(url)] == ALL


async def test_changed_applied_file_is_a_clear_error(test_db: TestDatabase, tmp_path: Path) -> None:
    url = await test_db.create_empty()
    directory = _copy_migrations(tmp_path)
    await apply_migrations(url, directory)
    edited = directory / "0002_indexes.sql"
    edited.write_text(edited.read_text() + "\n-- edited\n")
    with pytest.raises(MigrationError, match=r"0002_indexes\.sql was changed"):
        await apply_migrations(url, directory)


async def test_failing_migration_leaves_no_trace(test_db: TestDatabase, tmp_path: Path) -> None:
    url = await test_db.create_empty()
    directory = _copy_migrations(tmp_path)
    (directory / "9999_broken.sql").write_text(
        "CREATE TABLE half_done (id int);\nSELECT no_such_column FROM companies;\n"
    )
    with pytest.raises(asyncpg.UndefinedColumnError):
        await apply_migrations(url, directory)
    assert [name for _, name in await _recorded(url)] == ALL
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT to_regclass('half_done')") is None
    finally:
        await conn.close()


def test_badly_named_file_is_rejected(tmp_path: Path) -> None:
    directory = _copy_migrations(tmp_path)
    (directory / "3_oops.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"3_oops\.sql"):
        load_migrations(directory)
