"""`vanta serve`'s processing runs in spawned pool processes: the serving process never
imports spaCy (or pypdf), yet its uploads get processed with entities."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import orjson

from tests.conftest import JWT_SECRET, TestDatabase
from tests.world import World

PROBE = Path(__file__).with_name("serve_probe.py")
ROOT = Path(__file__).resolve().parents[3]


async def test_serve_processes_uploads_without_importing_spacy(
    test_db: TestDatabase, world: World, tmp_path: Path
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(PROBE),
        test_db.url,
        str(tmp_path / "data"),
        JWT_SECRET,
        str(world.companies["m"]),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 300)
    assert process.returncode == 0, stderr.decode()[-3000:]
    result = orjson.loads(stdout.strip().splitlines()[-1])
    assert result["document"]["processingStatus"] == "processed", result
    labels = {e["label"] for e in result["document"]["metadata"]["entities"]}
    assert "KRA_PIN" in labels
    assert result["spacy_imported"] is False
    assert result["pypdf_imported"] is False
    assert result["jobs_done_metric"] is True
    assert "oldest_pending_seconds" in result["ready_queue"]
