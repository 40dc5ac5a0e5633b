"""Node tools of the suite (tests/js, installed by `make test`) and Debian's chromium."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

JS = Path(__file__).resolve().parent / "js"


def require_node_tools() -> None:
    """Fail (not skip) when the pinned tools are missing: `make test` installs them."""
    if shutil.which("node") is None:
        pytest.fail("node is not installed (needed by the audit and browser tests)")
    if not (JS / "node_modules" / "playwright-core").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=JS,
            check=True,
        )


def require_chromium() -> str:
    """Debian's chromium, installed with apt-get when missing (root, as on CI)."""
    found = shutil.which("chromium")
    if found is None:
        subprocess.run(["apt-get", "install", "-y", "chromium"], check=True)
        found = shutil.which("chromium")
    assert found is not None, "apt-get install -y chromium did not provide chromium"
    return found


async def run_node(
    script: str, *args: str, limit_seconds: float = 120
) -> tuple[int, dict[str, Any]]:
    """Run ``tests/js/<script>``; (exit status, the JSON object of its last output line)."""
    require_node_tools()
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(JS / script),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(limit_seconds):
        out, err = await proc.communicate()
    lines = out.decode().strip().splitlines()
    assert lines, f"{script} printed nothing; stderr:\n{err.decode()}"
    assert proc.returncode is not None
    return proc.returncode, orjson.loads(lines[-1])
