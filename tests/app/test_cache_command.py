"""``vanta cache stats | clear | warm`` against a real server (in-process app, real HTTP)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from graphql import parse, print_ast

from app.cache_command import MSG_PER_WORKER, CacheCommandError, load_operations, warm
from app.config import Settings
from tests.app.cache_backends import cache_settings
from tests.conftest import JWT_SECRET, Api, make_token, running
from tests.world import World

__all__ = ["cache_settings"]  # the fixture, imported for pytest

# Spaced and commented as a person writes it; warm sends it printed, as clients do.
OPERATIONS = """
# what the dashboard asks first
query Docs   { documents(first: 5) { nodes { ...Doc } totalCount } }
query Stats { documentStatistics { total } }
fragment Doc on Document { id filename }
"""
DOCS_AS_CLIENTS_SEND = print_ast(
    parse(
        "query Docs { documents(first: 5) { nodes { ...Doc } totalCount } }\n"
        "fragment Doc on Document { id filename }"
    )
)


@pytest.fixture
async def cached(settings: Settings, world: World) -> AsyncIterator[Api]:
    async with running(replace(settings, cache_enabled=True)) as api:
        yield api


@pytest.fixture
async def any_backend(cache_settings: Settings) -> AsyncIterator[Api]:
    async with running(cache_settings) as api:
        yield api


def _url(api: Api) -> str:
    return str(api.client.make_url("")).rstrip("/")


def _file(tmp_path: Path, text: str = OPERATIONS) -> Path:
    path = tmp_path / "operations.graphql"
    path.write_text(text)
    return path


async def _cli(*args: str, tmp_path: Path) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "VANTA_JWT_SECRET": JWT_SECRET,
        "VANTA_DATA_DIR": str(tmp_path / "data"),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "cache",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_warm_makes_the_next_request_of_that_scope_a_hit_and_no_other(
    any_backend: Api, world: World, tmp_path: Path
) -> None:
    cached = any_backend
    a, b = world.companies["a"], world.companies["b"]
    operations = load_operations(_file(tmp_path), None)
    results = await warm(_url(cached), make_token("viewer", [a], subject="warm"), operations)
    assert [(r.name, r.status, r.cache, r.errors) for r in results] == [
        ("Docs", 200, "MISS", []),
        ("Stats", 200, "MISS", []),
    ]
    # A user of the same scope, sending the printed operation without operationName: a hit.
    status, body, headers = await cached.post(
        DOCS_AS_CLIENTS_SEND, token=make_token("viewer", [a], subject="someone")
    )
    assert status == 200 and headers["X-Cache"] == "HIT", body
    assert body["data"]["documents"]["totalCount"] == len(world.documents["a"])
    # Company b's token never gets company a's warmed answer.
    status, body, headers = await cached.post(DOCS_AS_CLIENTS_SEND, token=make_token("viewer", [b]))
    assert status == 200 and headers["X-Cache"] == "MISS", body
    assert body["data"]["documents"]["totalCount"] == len(world.documents["b"])


async def test_the_cli_warms_reports_and_clears(cached: Api, world: World, tmp_path: Path) -> None:
    url = _url(cached)
    path = str(_file(tmp_path))
    companies = str(world.companies["c"])
    code, out, err = await _cli(
        "warm", path, "--role", "accountant", "--companies", companies, "--url", url,
        tmp_path=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    assert out.splitlines() == [
        "MISS   200 Docs",
        "MISS   200 Stats",
        f"warmed 2 of 2 operations at {url}",
        MSG_PER_WORKER,  # the in-process backend: this worker's store only
    ]
    code, out, _ = await _cli(
        "warm", path, "--role", "accountant", "--companies", companies, "--url", url,
        tmp_path=tmp_path,
    )  # fmt: skip
    assert code == 0 and out.splitlines()[:2] == ["HIT    200 Docs", "HIT    200 Stats"]

    code, out, err = await _cli("stats", "--url", url, tmp_path=tmp_path)
    assert code == 0, err
    assert {"entries: 2", "hits: 2", "misses: 2"} <= set(out.splitlines())
    assert out.startswith("backend: memory (this worker's store)\n")

    code, out, err = await _cli("clear", "--url", url, tmp_path=tmp_path)
    assert code == 0, err
    assert "cleared: 2 entries" in out
    code, out, _ = await _cli(
        "warm", path, "--role", "accountant", "--companies", companies, "--url", url,
        tmp_path=tmp_path,
    )  # fmt: skip
    assert out.splitlines()[:2] == ["MISS   200 Docs", "MISS   200 Stats"]


async def test_warm_exits_non_zero_when_an_operation_errors(
    cached: Api, world: World, tmp_path: Path
) -> None:
    path = _file(tmp_path, "query Needs($id: ID!) { document(id: $id) { id } }\n" + OPERATIONS)
    code, out, _ = await _cli(
        "warm", str(path), "--role", "viewer", "--companies", "*", "--url", _url(cached),
        tmp_path=tmp_path,
    )  # fmt: skip
    assert code == 1
    lines = out.splitlines()
    assert lines[0].endswith(" Needs")  # a request error: 200 with application/json
    assert lines[1].startswith("    error: ") and "$id" in lines[1], lines
    assert lines[-2].startswith("warmed 2 of 3 operations")

    variables = orjson.dumps({"Needs": {"id": str(world.documents["a"][0])}}).decode()
    code, out, err = await _cli(
        "warm", str(path), "--role", "viewer", "--companies", "*", "--url", _url(cached),
        "--variables", variables, tmp_path=tmp_path,
    )  # fmt: skip
    assert code == 0, out + err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("query Docs { documents(first: 5) { nodes { id }", "Syntax Error"),
        ("{ documents(first: 5) { totalCount } }", "every operation needs a name"),
        ("mutation Del { deleteDocument(id: 1) }", "Del is a mutation; only queries are warmed"),
        ("fragment Doc on Document { id }", "no operation in this file"),
    ],
)
async def test_a_bad_file_is_a_clear_error_with_exit_code_2(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(CacheCommandError, match=message):
        load_operations(path, None)
    # Nothing listens on this URL: the file is refused before anything is sent.
    code, out, err = await _cli(
        "warm", str(path), "--role", "viewer", "--companies", "1", "--url", "http://127.0.0.1:9",
        tmp_path=tmp_path,
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert message in err and err.startswith("vanta cache warm: ")


async def test_usage_errors_name_what_is_wrong(tmp_path: Path) -> None:
    path = str(_file(tmp_path))
    cases = [
        (["warm", str(tmp_path / "missing.graphql")], "cannot read"),
        (["warm", path, "--variables", "{"], "--variables is not JSON"),
        (["warm", path, "--variables", '{"Nope": {}}'], "names no operation of the file"),
        (["warm", path, "--companies", "1,x"], "company id 'x' is not an integer"),
    ]
    for args, message in cases:
        if "--companies" not in args:
            args = [*args, "--companies", "1"]
        code, _, err = await _cli(*args, "--role", "viewer", tmp_path=tmp_path)
        assert code == 2 and message in err, (args, err)


async def test_an_unreachable_server_is_named(tmp_path: Path) -> None:
    code, _, err = await _cli("stats", "--url", "http://127.0.0.1:9", tmp_path=tmp_path)
    assert code == 1
    assert "cannot reach the server at http://127.0.0.1:9" in err


async def test_a_wrong_secret_is_refused_by_the_server(cached: Api, tmp_path: Path) -> None:
    env_secret = os.environ.get("VANTA_JWT_SECRET")
    assert env_secret != "another-secret"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.cli", "cache", "stats", "--url", _url(cached),
        env={**os.environ, "VANTA_JWT_SECRET": "another-secret-of-at-least-32-chars!"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await proc.communicate()
    assert proc.returncode == 1
    assert "401" in err.decode() and "[UNAUTHENTICATED]" in err.decode()
