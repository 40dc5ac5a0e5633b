"""GraphiQL served by this server, offline: its assets come from our own npm install.

``make install`` installs the packages pinned in ``graphiql/package.json`` into
``graphiql/node_modules`` (gitignored); nothing is fetched from a CDN at run time and no
third-party bundle is committed. The page is on ``GET /graphql`` for a browser (Accept:
text/html, no ``query`` parameter); assets under ``/graphiql/``. On in development, off
with ``VANTA_ENV=production`` unless ``VANTA_GRAPHIQL=on``.

Example::

    add_graphiql_routes(app)          # in create_app, when settings.graphiql_enabled
    if wants_graphiql(request): ...   # in the endpoint, before anything else

Subscriptions go over ``graphql-transport-ws`` to the same ``/graphql`` URL (``ws://`` or
``wss://``); the client connects lazily, on the first subscription only, and sends the
headers pane's ``Authorization`` in ``connection_init``.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from aiohttp import web

from app.codings import EncodedBody
from app.resources import GRAPHIQL_TOKEN, SETTINGS

__all__ = [
    "ASSETS",
    "ASSETS_DIR",
    "MSG_NOT_INSTALLED",
    "add_graphiql_routes",
    "graphiql_page",
    "wants_graphiql",
]

ASSETS_DIR = Path(__file__).resolve().parents[1] / "graphiql" / "node_modules"
# URL name → (file under ASSETS_DIR, content type). Only these are served.
ASSETS: dict[str, tuple[str, str]] = {
    "react.js": ("react/umd/react.production.min.js", "application/javascript"),
    "react-dom.js": ("react-dom/umd/react-dom.production.min.js", "application/javascript"),
    "graphiql.js": ("graphiql/graphiql.min.js", "application/javascript"),
    "graphiql.css": ("graphiql/graphiql.min.css", "text/css"),
    "explorer.js": ("@graphiql/plugin-explorer/dist/index.umd.js", "application/javascript"),
    "explorer.css": ("@graphiql/plugin-explorer/dist/style.css", "text/css"),
    "graphql-ws.js": ("graphql-ws/umd/graphql-ws.min.js", "application/javascript"),
}
MSG_NOT_INSTALLED = (
    "GraphiQL's assets are not installed: run `make install` "
    "(npm ci in graphiql/, from the pinned package-lock.json)."
)
_BOOT = "boot.js"
# Our own start-up script (not third-party code): the page has no inline script, so the
# Content-Security-Policy can forbid them.
_BOOT_JS = """
(function () {
  var config = JSON.parse(document.getElementById("vanta-config").textContent);
  var url = new URL(config.path, window.location.href).href;
  var wsUrl = url.replace(/^http/, "ws");
  function storedHeaders() {
    try { return JSON.parse(localStorage.getItem("graphiql:headers") || "{}"); }
    catch (e) { return {}; }
  }
  var wsClient = graphqlWs.createClient({
    url: wsUrl,
    lazy: true,
    connectionParams: function () { return storedHeaders(); },
  });
  var fetcher = GraphiQL.createFetcher({ url: url, wsClient: wsClient });
  var explorer = GraphiQLPluginExplorer.explorerPlugin();
  var props = {
    fetcher: fetcher,
    plugins: [explorer],
    defaultEditorToolsVisibility: true,
    shouldPersistHeaders: true,
    defaultQuery: config.defaultQuery,
  };
  if (config.headers) { props.headers = config.headers; }
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, props)
  );
})();
"""
_DEFAULT_QUERY = """# Vanta Ledger GraphQL API. Ctrl-Enter runs the query; the book icon opens the docs.
{
  viewer { subject role companyIds }
  companies(first: 5) { nodes { id name } }
}
"""
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Vanta Ledger · GraphiQL</title>
<link rel="stylesheet" href="/graphiql/graphiql.css">
<link rel="stylesheet" href="/graphiql/explorer.css">
<style>body {{ margin: 0; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script id="vanta-config" type="application/json">{config}</script>
<script src="/graphiql/react.js"></script>
<script src="/graphiql/react-dom.js"></script>
<script src="/graphiql/graphiql.js"></script>
<script src="/graphiql/explorer.js"></script>
<script src="/graphiql/graphql-ws.js"></script>
<script src="/graphiql/boot.js"></script>
</body>
</html>
"""
_LOADED = web.AppKey("graphiql_assets", dict)


def wants_graphiql(request: web.Request) -> bool:
    """A browser asking for the IDE (GET, HTML accepted, no query), and GraphiQL is on."""
    return (
        request.method == "GET"
        and "query" not in request.query
        and "text/html" in request.headers.get("Accept", "")
        and request.app[SETTINGS].graphiql_enabled
    )


async def graphiql_page(request: web.Request) -> web.Response:
    """The IDE page; in development with the token ``vanta serve`` printed, pre-filled."""
    settings = request.app[SETTINGS]
    if not (ASSETS_DIR / ASSETS["graphiql.js"][0]).is_file():
        return web.Response(status=503, text=MSG_NOT_INSTALLED, content_type="text/plain")
    config: dict[str, str] = {"path": request.path, "defaultQuery": _DEFAULT_QUERY}
    token = request.app.get(GRAPHIQL_TOKEN)
    if token and settings.environment != "production":  # never a token in production
        config["headers"] = orjson.dumps(
            {"Authorization": f"Bearer {token}"}, option=orjson.OPT_INDENT_2
        ).decode()
    # JSON inside <script>: "<" escaped so no value can close the element.
    text = orjson.dumps(config).decode().replace("<", "\\u003c")
    response = web.Response(
        text=_PAGE.format(config=text),
        content_type="text/html",
    )
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["Cache-Control"] = "no-store"  # it may carry a token
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def _asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    loaded = request.app[_LOADED]
    if name not in loaded:
        if name == _BOOT:
            loaded[name] = (EncodedBody.of(_BOOT_JS.encode()), "application/javascript")
        elif name in ASSETS:
            relative, content_type = ASSETS[name]
            path = ASSETS_DIR / relative
            if not path.is_file():
                raise web.HTTPServiceUnavailable(text=MSG_NOT_INSTALLED)
            # Read and compressed once per process; the compression middleware sends the form.
            loaded[name] = (EncodedBody.of(path.read_bytes()), content_type)
        else:
            raise web.HTTPNotFound(text=f"no GraphiQL asset {name!r}")
    body, content_type = loaded[name]
    response = web.Response(body=body, content_type=content_type, charset="utf-8")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def add_graphiql_routes(app: web.Application) -> None:
    """Serve the assets under ``/graphiql/`` (the page itself is on ``/graphql``)."""
    app[_LOADED] = {}
    app.router.add_get("/graphiql/{name}", _asset)
