"""The npm clients of tests/node: installed on first use (pinned), skipped when npm cannot."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parents[2] / "node"
INSTALL_TIMEOUT_SECONDS = 300


def node_clients() -> Path:
    """tests/node with its node_modules installed; pytest.skip with the reason otherwise."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed")
    if not (NODE_DIR / "node_modules" / "graphql-ws").is_dir():
        result = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--no-package-lock", "--silent"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_SECONDS,
            check=False,
        )
        if result.returncode != 0:
            pytest.skip(f"npm install failed (offline?): {result.stderr.strip()[-300:]}")
    return NODE_DIR
