"""Every fenced code block of the README runs against a real app, so no example rots.

Blocks are run in README order: ``sh`` through bash (curl against the app, ``.venv/bin/``
from this venv, ``$TOKEN`` an admin token), ``graphql`` POSTed as an admin, ``js`` checked by
``node --check``, ``text`` skipped (output listings and commands that serve forever). A
``graphql`` block may use ``<endCursor>`` and ``<pendingEntryId>``: the last ``endCursor`` and
the last ``pending`` ledger entry id an earlier block's answer returned.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from app.config import Settings
from app.migrate import apply_migrations
from app.resources import EVENT_HUB
from app.seed import seed_demo_if_empty
from tests.app.realtime.conftest import GUARD_SECONDS, new_document, process
from tests.conftest import JWT_SECRET, Api, TestDatabase, make_token, running

README = Path(__file__).resolve().parent.parent / "README.md"
README_URL = "http://127.0.0.1:8000"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
LANGUAGES = {"sh", "graphql", "js", "text"}


@dataclass
class Block:
    lang: str
    code: str
    line: int


def readme_blocks(text: str) -> list[Block]:
    return [Block(m[1], m[2], text.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(text)]


@dataclass
class Seen:
    """What earlier answers returned that later examples refer to."""

    cursor: str | None = None
    pending_entry: str | None = None

    def note(self, value: Any) -> None:
        if isinstance(value, dict):
            if value.get("endCursor"):
                self.cursor = value["endCursor"]
            if value.get("approvalStatus") == "pending" and "id" in value:
                self.pending_entry = value["id"]
            for child in value.values():
                self.note(child)
        elif isinstance(value, list):
            for child in value:
                self.note(child)

    def fill(self, query: str) -> str:
        for placeholder, value in (
            ("<endCursor>", self.cursor),
            ("<pendingEntryId>", self.pending_entry),
        ):
            if placeholder in query:
                assert value, f"{placeholder}: no earlier example returned one"
                query = query.replace(placeholder, value)
        return query


def _answers(output: str) -> list[Any]:
    """The JSON bodies curl printed, one after another."""
    decoder, answers, rest = json.JSONDecoder(), [], output.strip()
    while rest:
        answer, end = decoder.raw_decode(rest)
        answers.append(answer)
        rest = rest[end:].strip()
    return answers


@pytest.fixture(scope="module")
async def demo_api(test_db: TestDatabase, settings: Settings) -> Any:
    """The app over the demo dataset `make serve` seeds, in a database of its own."""
    url = await test_db.create_empty()
    await apply_migrations(url)
    assert await seed_demo_if_empty(url) is not None
    async with running(replace(settings, database_url=url)) as api:
        yield api, url


async def _bash(script: str, cwd: Path) -> asyncio.subprocess.Process:
    env = {
        "PATH": os.environ["PATH"],
        "TOKEN": make_token(),
        "VANTA_JWT_SECRET": JWT_SECRET,
        "VANTA_DATA_DIR": str(cwd / "data"),
    }
    return await asyncio.create_subprocess_exec(
        "bash", "-euo", "pipefail", "-c", script, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


def _shell(code: str, base_url: str) -> str:
    return code.replace(README_URL, base_url).replace(
        ".venv/bin/", f"{Path(sys.executable).parent}/"
    )


async def _run_sh(block: Block, base_url: str, cwd: Path, seen: Seen) -> None:
    proc = await _bash(_shell(block.code, base_url), cwd)
    out, err = await asyncio.wait_for(proc.communicate(), GUARD_SECONDS)
    assert proc.returncode == 0, err.decode()
    answers = _answers(out.decode())
    assert answers, "the example printed no answer"
    for answer in answers:
        assert "data" in answer and "errors" not in answer, answer
        seen.note(answer)


async def _run_sse(block: Block, api: Api, url: str, base_url: str, cwd: Path) -> None:
    """The SSE example streams forever: read its first event, then stop it."""
    hub = api.client.server.app[EVENT_HUB]
    before = hub.subscribed.value
    proc = await _bash("exec " + _shell(block.code, base_url), cwd)
    try:
        await asyncio.wait_for(hub.subscribed.wait(before + 1), GUARD_SECONDS)
        await process(url, await new_document(url, 1, "readme-sse.txt"))
        assert proc.stdout is not None
        line = b""
        while not line.startswith(b"data: "):
            line = await asyncio.wait_for(proc.stdout.readline(), GUARD_SECONDS)
            assert line, "the stream ended without an event"
        answer = orjson.loads(line[len(b"data: ") :])
        assert answer["data"]["documentProcessed"]["filename"] == "readme-sse.txt", answer
        assert "errors" not in answer, answer
    finally:
        proc.terminate()
        await proc.wait()


async def _run_js(block: Block, cwd: Path) -> None:
    path = cwd / f"readme-{block.line}.mjs"
    path.write_text(block.code)
    proc = await asyncio.create_subprocess_exec(
        "node", "--check", str(path), stderr=asyncio.subprocess.PIPE
    )
    _, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()


async def _run_graphql(block: Block, api: Api, seen: Seen) -> None:
    status, body, _ = await api.post(seen.fill(block.code), token=make_token())
    assert status == 200 and "errors" not in body and body.get("data"), body
    seen.note(body)


def test_every_block_has_a_known_language() -> None:
    blocks = readme_blocks(README.read_text())
    assert {b.lang for b in blocks} <= LANGUAGES, [(b.line, b.lang) for b in blocks]
    assert {"sh", "graphql", "js"} <= {b.lang for b in blocks}


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("node") is None,
                    reason="curl and node are needed to run the README's examples")  # fmt: skip
async def test_readme_examples_run(demo_api: Any, tmp_path: Path) -> None:
    api, url = demo_api
    base_url = str(api.client.make_url("")).rstrip("/")
    seen = Seen()
    ran = 0
    for block in readme_blocks(README.read_text()):
        try:
            if block.lang == "sh" and "text/event-stream" in block.code:
                await _run_sse(block, api, url, base_url, tmp_path)
            elif block.lang == "sh":
                await _run_sh(block, base_url, tmp_path, seen)
            elif block.lang == "graphql":
                await _run_graphql(block, api, seen)
            elif block.lang == "js":
                await _run_js(block, tmp_path)
            else:
                continue
        except AssertionError as error:
            raise AssertionError(f"README.md line {block.line} ({block.lang}): {error}") from None
        ran += 1
    assert ran >= 15, ran
