"""GraphiQL served by us, offline: loaded in headless Chromium with the network cut."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from app.config import Settings
from app.graphiql import ASSETS
from app.resources import GRAPHIQL_TOKEN
from app.server import create_app
from tests.conftest import make_token
from tests.nodejs import require_chromium, run_node
from tests.world import World

HTML = {"Accept": "text/html"}


@asynccontextmanager
async def _client(settings: Settings, token: str | None = None) -> AsyncIterator[TestClient]:
    app = create_app(settings)
    if token is not None:
        app[GRAPHIQL_TOKEN] = token
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def test_graphiql_runs_a_query_in_chromium_without_any_outside_request(
    settings: Settings, world: World
) -> None:
    require_chromium()
    token = make_token("admin", "*", subject="graphiql-dev")
    async with _client(settings, token) as client:
        status, result = await run_node(
            "browser.mjs", str(client.make_url("/graphql")), "graphiql", '"graphiql-dev"'
        )
    assert status == 0, result
    assert '"role": "admin"' in result["text"]
    assert result["outside"] == []  # nothing from a CDN
    assert result["docs"]  # the sidebar (docs, explorer, history) is there


async def test_page_and_assets_come_from_this_server(settings: Settings, world: World) -> None:
    async with _client(settings, make_token()) as client:
        page = await client.get("/graphql", headers=HTML)
        assert page.status == 200 and page.content_type == "text/html"
        text = await page.text()
        sources = re.findall(r'(?:src|href)="([^"]+)"', text)
        assert sources and all(source.startswith("/graphiql/") for source in sources)
        assert "unpkg" not in text and "cdn" not in text.lower()
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["Cache-Control"] == "no-store"
        for name in [*ASSETS, "boot.js"]:
            asset = await client.get(f"/graphiql/{name}", headers={"Accept-Encoding": "br"})
            assert asset.status == 200, name
            assert len(await asset.read()) > 0
        missing = await client.get("/graphiql/..%2F..%2Fpyproject.toml")
        assert missing.status == 404
        unknown = await client.get("/graphiql/jquery.js")
        assert unknown.status == 404


async def test_dev_token_is_prefilled_in_development_only(settings: Settings, world: World) -> None:
    token = make_token(subject="prefill")
    async with _client(settings, token) as client:
        assert token in await (await client.get("/graphql", headers=HTML)).text()
    production = replace(settings, environment="production", graphiql=True)
    async with _client(production, token) as client:
        page = await client.get("/graphql", headers=HTML)
        assert page.status == 200
        assert token not in await page.text()


async def test_graphiql_is_off_in_production_unless_turned_on(
    settings: Settings, world: World
) -> None:
    async with _client(replace(settings, environment="production")) as client:
        page = await client.get("/graphql", headers=HTML)
        assert page.content_type != "text/html"
        assert (await client.get("/graphiql/graphiql.js")).status == 404
    async with _client(replace(settings, graphiql=False)) as client:
        assert (await client.get("/graphql", headers=HTML)).content_type != "text/html"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, True),
        ({"VANTA_ENV": "production"}, False),
        ({"VANTA_ENV": "production", "VANTA_GRAPHIQL": "on"}, True),
        ({"VANTA_GRAPHIQL": "off"}, False),
    ],
)
def test_graphiql_setting(env: dict[str, str], expected: bool) -> None:
    assert Settings.from_env(env).graphiql_enabled is expected


# --- CORS end to end: a page on another origin calls the API ----------------------------------

PAGE = """<!doctype html><html><body><pre id="out">waiting</pre><script>
fetch(%(api)s, {method: "POST", headers: {"Authorization": "Bearer %(token)s",
  "Content-Type": "application/json"}, body: JSON.stringify({query: "{ viewer { subject } }"})})
  .then((r) => r.json()).then((b) => { document.getElementById("out").textContent =
    "answer: " + JSON.stringify(b); })
  .catch((e) => { document.getElementById("out").textContent = "blocked: " + e; });
</script></body></html>"""


async def test_page_on_another_origin_queries_the_api_with_a_token(
    settings: Settings, world: World
) -> None:
    require_chromium()
    async with _cors_pair(settings, make_token(subject="cors-page")) as (page_url, api_url):
        assert page_url.split("/")[2] != api_url.split("/")[2]  # another port: another origin
        status, result = await run_node("browser.mjs", page_url, "text", "answer:")
    assert status == 0, result
    assert '"subject":"cors-page"' in result["text"]


async def test_page_on_an_unlisted_origin_is_blocked_by_the_browser(
    settings: Settings, world: World
) -> None:
    require_chromium()
    async with _cors_pair(settings, make_token(), listed=False) as (page_url, _):
        status, result = await run_node("browser.mjs", page_url, "text", "blocked:")
    assert status == 0, result
    assert "answer:" not in result["text"]


@asynccontextmanager
async def _cors_pair(
    settings: Settings, token: str, *, listed: bool = True
) -> AsyncIterator[tuple[str, str]]:
    """(page URL, API URL): a second aiohttp app on another port serves the page; its port
    is chosen first, so the API can list its origin (or, ``listed=False``, another one)."""
    import json
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        page_port = sock.getsockname()[1]
    origin = f"http://127.0.0.1:{page_port}"
    api_settings = replace(settings, cors_origins=(origin if listed else "http://127.0.0.1:1",))
    async with _client(api_settings) as api:
        api_url = str(api.make_url("/graphql"))
        frontend = web.Application()

        async def index(request: web.Request) -> web.Response:
            return web.Response(
                text=PAGE % {"api": json.dumps(api_url), "token": token}, content_type="text/html"
            )

        frontend.router.add_get("/", index)
        server = TestServer(frontend, host="127.0.0.1", port=page_port)
        await server.start_server()
        try:
            yield f"{origin}/", api_url
        finally:
            await server.close()
