"""Unknown ``VANTA_*`` variables are reported at start: a typo must not pass silently."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from app.config import KNOWN_VARIABLES, unknown_variables

ROOT = Path(__file__).resolve().parents[2]


def test_a_typo_is_reported_with_the_closest_name() -> None:
    lines = unknown_variables({"VANTA_PROT": "9000", "VANTA_PORT": "1", "HOME": "/root"})
    assert lines == ["unknown setting VANTA_PROT is ignored (did you mean VANTA_PORT?)"]


def test_known_test_and_bench_variables_are_not_reported() -> None:
    env = {"VANTA_TEST_REDIS_URL": "x", "VANTA_BENCH_DURATION": "2", "VANTA_DEBUG": "1"}
    assert unknown_variables(env) == []
    assert unknown_variables({"VANTA_ZZZZZZ": "1"}) == ["unknown setting VANTA_ZZZZZZ is ignored"]


def test_every_variable_the_code_reads_is_known() -> None:
    """A new setting must be added to app.config.KNOWN_VARIABLES, or start-up reports it."""
    read = set()
    for package in ("app", "schema", "loaders"):
        for path in (ROOT / package).rglob("*.py"):
            read |= set(re.findall(r'"(VANTA_[A-Z0-9_]+)"', path.read_text()))
    read = {name for name in read if not name.startswith(("VANTA_TEST_", "VANTA_BENCH_"))}
    assert read - KNOWN_VARIABLES == set(), "add these to app.config.KNOWN_VARIABLES"


async def test_the_command_line_reports_them(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANTA_")}
    env.update(VANTA_DATA_DIR=str(tmp_path), VANTA_JWT_SECERT="x" * 40)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "token",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode == 0
    assert "unknown setting VANTA_JWT_SECERT is ignored (did you mean VANTA_JWT_SECRET?)" in (
        err.decode()
    )
