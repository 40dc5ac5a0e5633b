"""The committed schema.graphql is the live schema: a contract change shows in review."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from pathlib import Path

from app.config import Settings
from app.sdl import SDL_PATH, schema_sdl
from schema.build import build_schema
from tests.conftest import Api, running
from tests.world import World

COMMITTED = Path(__file__).resolve().parents[1] / "schema.graphql"
HOW = "run `.venv/bin/vanta schema export -o schema.graphql` and commit the change"


def test_committed_schema_equals_the_live_schema() -> None:
    assert COMMITTED.read_text() == schema_sdl(build_schema()), HOW


async def test_schema_endpoint_serves_the_sdl(api: Api) -> None:
    response = await api.client.get(SDL_PATH)
    assert response.status == 200
    assert response.content_type == "text/plain"
    assert await response.text() == COMMITTED.read_text()


async def test_schema_endpoint_is_404_when_introspection_is_off(
    settings: Settings, world: World
) -> None:
    async with running(replace(settings, environment="production")) as api:
        response = await api.client.get(SDL_PATH)
        assert response.status == 404
        body = await response.json()
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert "type Query" not in await response.text()


async def test_schema_export_command_prints_the_sdl(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.cli", "schema", "export", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    assert out.decode() == COMMITTED.read_text()
    target = tmp_path / "schema.graphql"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.cli", "schema", "export", "-o", str(target)
    )
    assert await proc.wait() == 0
    assert target.read_text() == COMMITTED.read_text()
