"""Imports run one way: every module sits in a layer and imports only its own or lower ones.

The layers, lowest first, are the request pipeline's stages and what they stand on
(README "Layout"). A new module must be placed here; an import from a lower layer to a
higher one, or a cycle inside a layer, fails with the offending file and line. Imports
inside functions count: hiding one there does not make it go the right way (imports under
``if TYPE_CHECKING:`` are for annotations only and do not).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "schema", "loaders")

# Lowest first. A module belongs to the longest prefix that names it.
LAYERS: list[tuple[str, ...]] = [
    # protocol types, codes, settings, vocabulary: what everything may use
    (
        "app.protocol",
        "app.errors",
        "app.config",
        "app.request_id",
        "app.domain",
        "app.csrf",
        "app.metrics",
        "app.monitoring",
        "app.migrate",
        "app.embedded_pg",
        "app.text_metadata",
        "app.redis_client",
        "app.seed_data",
        "app.timestamps",
        "app.sizing",  # memory accounting, used by every bounded store
        "app.files",  # the content-addressed file store of uploads
        "app.nlp",  # the NLP pipeline (pure; spaCy imported inside, in pool processes)
        "app.counter",  # a counter coroutines wait on (listener, hub, bus, limits)
        "app.events.channels",  # the NOTIFY contract with the processing workers
        "app.events.metrics",
        "app.codings",  # gzip/br and a body carrying its compressed forms (cache and HTTP)
    ),
    # transport decoding, tokens, cursors, error shaping, SQL
    (
        "app.transport",
        "app.auth",
        "app.cursors",
        "app.encoding",
        "app.graphql_errors",
        "app.db",
        "app.http",  # CORS and compression middlewares
        "app.jobs.status",  # the SQL of Document.processing, read by a loader
    ),
    # identity, the response cache, the metadata store, the seed, the event hub and publisher,
    # and the read-replica routing (its pools, poller and recent writes; issue 16)
    ("app.identity", "app.cache", "app.metadata", "app.seed", "app.events", "app.replicas"),
    # admission's parts (rate limit, persisted queries), the loaders
    ("app.ratelimit", "app.persisted", "loaders"),
    # the processing queue and its workers (they write through the metadata store)
    ("app.jobs",),
    # the schema
    ("schema",),
    # execution's parts: the fast path, the per-request context; the cache stage
    ("app.fastpath", "app.request_context", "app.cached_execution", "app.idempotency"),
    # the prepared-document stage
    ("app.documents",),
    # the stages that join them, and the process resources
    ("app.execution", "app.admission", "app.resources"),
    # the pipeline, and the pages and probes beside it
    ("app.pipeline", "app.health", "app.graphiql", "app.sdl", "app.processing"),
    # transports' endpoints (the subscription transports: Strawberry's handlers behind ours)
    (
        "app.endpoint",
        "app.downloads",
        "app.subscriptions",
        "app.admin_cache",  # /admin/cache/stats and /admin/cache/clear
    ),
    # the application factory
    ("app.server",),
    # the process manager under `vanta serve`
    ("app.process",),
    # the command line, and the HTTP client of `vanta cache`
    ("app.cli", "app.cache_command"),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            named = module == prefix or module.startswith(prefix + ".")
            if named and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = _module_name(path)
            if name not in PACKAGES:  # the top-level faces only hand names on
                found[name] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """(project module imported, line) for every import in the file, nested ones too."""
    tree = ast.parse(path.read_text(), filename=str(path))
    type_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If)
        and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for inner in ast.walk(node)
    }
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue  # for annotations only: never imported at run time
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name in modules:
                found.append((name, node.lineno))
    return found


MODULES = _modules()


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(name for name in MODULES if _layer_of(name) is None)
    assert not unplaced, f"place these modules in LAYERS: {unplaced}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_never_run_up(module: str) -> None:
    own = _layer_of(module)
    assert own is not None
    upward = [
        f"{MODULES[module].relative_to(ROOT)}:{line} imports {target} (layer {_layer_of(target)})"
        for target, line in _imports(MODULES[module], MODULES)
        if (_layer_of(target) or 0) > own and not module.startswith(target + ".")
    ]
    assert not upward, f"{module} is in layer {own}; these imports run up:\n" + "\n".join(upward)


def test_no_import_cycles() -> None:
    graph = {
        name: {t for t, _ in _imports(path, MODULES) if t != name and not name.startswith(t + ".")}
        for name, path in MODULES.items()
    }
    # Package faces (__init__) hand names on; an edge into a package means its face.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for name in sorted(graph):
        if name not in state and (cycle := visit(name)) is not None:
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_a_known_upward_import_is_caught(tmp_path: Path) -> None:
    """The check itself works: a schema module importing the pipeline is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from app.pipeline import run_operation\n")
    assert _imports(bad, MODULES) == [("app.pipeline", 2)]
    assert _layer_of("app.pipeline") > _layer_of("schema.types")  # type: ignore[operator]
