"""Bad uploads get a stable code and store nothing: oversized, no preflight header,
malformed multipart, a file that is neither PDF nor text, content and file together."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from aiohttp import FormData

from app.config import Settings
from tests.app.processing.conftest import UPLOAD, multipart_upload
from tests.conftest import Api, make_token, running
from tests.world import World


def _stored(data_dir: Path) -> list[Path]:
    root = data_dir / "files"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _input(world: World, filename: str) -> dict[str, Any]:
    return {"companyId": str(world.companies["m"]), "filename": filename, "documentType": "invoice"}


def _headers(world: World) -> dict[str, str]:
    token = make_token("accountant", [world.companies["m"]], subject="acct-m")
    return {"Authorization": f"Bearer {token}", "Apollo-Require-Preflight": "true"}


async def _count(conn: asyncpg.Connection, filename: str) -> int:
    return await conn.fetchval("SELECT count(*) FROM documents WHERE filename = $1", filename)


async def test_oversized_file_is_refused_with_413_and_nothing_stored(
    processing_settings: Settings, world: World, conn: asyncpg.Connection
) -> None:
    settings = replace(processing_settings, max_upload_bytes=4096)
    async with running(settings) as api:
        form = multipart_upload(_input(world, "big.txt"), b"a" * 200_000, "big.txt", "text/plain")
        response = await api.client.post("/graphql", data=form, headers=_headers(world))
        body = await response.json()
    assert response.status == 413
    assert body["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert _stored(settings.data_dir) == []
    assert await _count(conn, "big.txt") == 0


async def test_multipart_without_a_preflight_header_is_blocked_before_reading(
    papi: Api, processing_settings: Settings, world: World, conn: asyncpg.Connection
) -> None:
    form = multipart_upload(_input(world, "csrf.txt"), b"hello", "csrf.txt", "text/plain")
    response = await papi.client.post("/graphql", data=form)
    assert response.status == 400
    assert (await response.json())["errors"][0]["extensions"]["code"] == "CSRF_BLOCKED"
    assert _stored(processing_settings.data_dir) == []
    assert await _count(conn, "csrf.txt") == 0


async def test_binary_file_is_refused_as_unsupported(
    papi: Api, processing_settings: Settings, world: World, conn: asyncpg.Connection
) -> None:
    form = multipart_upload(
        _input(world, "x.bin"), b"\x89PNG\r\n\x1a\n\x00\x00", "x.bin", "image/png"
    )
    response = await papi.client.post("/graphql", data=form, headers=_headers(world))
    assert response.status == 415
    assert (await response.json())["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert _stored(processing_settings.data_dir) == []
    assert await _count(conn, "x.bin") == 0


async def _post_parts(api: Api, world: World, parts: list[tuple[str, Any]]) -> tuple[int, Any]:
    form = FormData(default_to_multipart=True)
    for name, value in parts:
        if isinstance(value, bytes):
            form.add_field(name, value, filename="f.txt", content_type="text/plain")
        else:
            form.add_field(name, value)
    response = await api.client.post("/graphql", data=form, headers=_headers(world))
    return response.status, await response.json()


async def test_malformed_multipart_bodies_are_bad_requests(papi: Api, world: World) -> None:
    operations = orjson.dumps(
        {"query": UPLOAD, "variables": {"input": {**_input(world, "m.txt"), "file": None}}}
    ).decode()
    cases = [
        [("map", "{}"), ("operations", operations)],  # wrong order
        [("operations", "{not json"), ("map", "{}")],
        [("operations", operations), ("map", "[1]")],
        [("operations", operations), ("map", '{"1": ["variables.input.file"]}')],  # no file
        [("operations", operations), ("map", '{"1": ["variables.input.companyId"]}'), ("1", b"x")],
        [("operations", operations), ("map", '{"1": ["query"]}'), ("1", b"x")],
        [("operations", operations), ("map", '{"1": ["variables.nope.file"]}'), ("1", b"x")],
    ]
    for parts in cases:
        status, body = await _post_parts(papi, world, parts)
        assert status == 400, (parts, body)
        assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST", (parts, body)


async def test_upload_needs_exactly_one_of_content_and_file(
    papi: Api, world: World, conn: asyncpg.Connection
) -> None:
    both = multipart_upload(
        {**_input(world, "both.txt"), "content": "Invoice"}, b"Invoice", "both.txt", "text/plain"
    )
    response = await papi.client.post("/graphql", data=both, headers=_headers(world))
    body = await response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    token = make_token("accountant", [world.companies["m"]], subject="acct-m")
    _, none_body, _ = await papi.post(UPLOAD, {"input": _input(world, "none.txt")}, token)
    assert none_body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # An Upload from JSON variables (not a file part) is a coercion error, never a path read.
    _, forged, _ = await papi.post(
        UPLOAD, {"input": {**_input(world, "forged.txt"), "file": "/etc/passwd"}}, token
    )
    codes = [e["extensions"]["code"] for e in forged["errors"]]
    assert codes and "INTERNAL_SERVER_ERROR" not in codes
    for name in ("both.txt", "none.txt", "forged.txt"):
        assert await _count(conn, name) == 0
