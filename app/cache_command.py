"""``vanta cache stats | clear | warm``: the response cache of a running server, over HTTP.

The server holds the cache (in each worker's memory, or in Redis), so this command is a
client of it: stats and clear call the admin endpoints (app/admin_cache.py) with an admin
token it signs itself; warm sends each operation of a file through the ordinary
``POST /graphql`` with a token of the given role and companies, so tenant scope, TTLs and
cache policies apply exactly as for the clients it warms for. Each operation is sent as
``vanta persisted export`` prints it (with the fragments it uses): that text is the cache
key's document, so warming helps clients that send the same text (graphql-js ``print``
format; Apollo Client adds ``__typename`` to each selection set first: warm that text).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from app.persisted.export import operations_in
from app.persisted.trusted import ManifestError

__all__ = [
    "CacheCommandError",
    "WarmResult",
    "clear",
    "default_url",
    "load_operations",
    "per_worker_note",
    "stats",
    "warm",
    "warm_report",
]

TIMEOUT_SECONDS = 30.0
STATS_PATH = "/admin/cache/stats"  # app/admin_cache.py (not imported: it is the server's)
CLEAR_PATH = "/admin/cache/clear"
_STATS_LINES = (
    ("entries", "entries"),
    ("bytes", "bytes"),
    ("budget", "budget"),
    ("hits", "hits"),
    ("misses", "misses"),
    ("bypasses", "bypasses"),
    ("evictions", "evictions"),
    ("pendingInvalidations", "pending invalidations"),
)


class CacheCommandError(Exception):
    """A failure the command reports in one line; ``exit_code`` 2 for usage, 1 otherwise."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True, slots=True)
class WarmResult:
    name: str
    status: int
    cache: str  # the X-Cache header: MISS, HIT or BYPASS ("-" when absent)
    errors: list[str]

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.errors

    def line(self) -> str:
        text = f"{self.cache:<6} {self.status} {self.name}"
        return text + "".join(f"\n    error: {error}" for error in self.errors)


def default_url(host: str, port: int) -> str:
    """The server ``vanta serve`` starts with VANTA_HOST/VANTA_PORT (a wildcard: localhost)."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def load_operations(path: Path, variables: str | None) -> list[dict[str, Any]]:
    """The request bodies warm sends: one per named query of ``path``.

    Raises CacheCommandError (exit 2) for a file that is unreadable, does not parse, holds a
    mutation or subscription (warming must change nothing), or ``variables`` that are not a
    JSON object of objects keyed by operation names of the file.
    """
    try:
        text = path.read_text()
    except OSError as error:
        raise CacheCommandError(f"cannot read {path}: {error.strerror}", 2) from None
    try:
        entries = operations_in(text, path)
    except ManifestError as error:
        raise CacheCommandError(str(error), 2) from None
    for entry in entries:
        if entry["type"] != "query":
            message = f"{path}: {entry['name']} is a {entry['type']}; only queries are warmed"
            raise CacheCommandError(message, 2)
    by_name = _variables(variables, {entry["name"] for entry in entries})
    bodies: list[dict[str, Any]] = []
    for entry in entries:
        body: dict[str, Any] = {"query": entry["body"], "operationName": entry["name"]}
        if entry["name"] in by_name:
            body["variables"] = by_name[entry["name"]]
        bodies.append(body)
    return bodies


def _variables(raw: str | None, names: set[str]) -> dict[str, dict[str, Any]]:
    if raw is None:
        return {}
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise CacheCommandError(f"--variables is not JSON: {error}", 2) from None
    if not isinstance(parsed, dict) or not all(isinstance(v, dict) for v in parsed.values()):
        message = '--variables must be a JSON object of objects: {"OperationName": {...}}'
        raise CacheCommandError(message, 2)
    unknown = sorted(set(parsed) - names)
    if unknown:
        raise CacheCommandError(f"--variables names no operation of the file: {unknown}", 2)
    return parsed


async def stats(url: str, admin_token: str) -> list[str]:
    """The lines ``vanta cache stats`` prints."""
    body = await _admin("GET", url + STATS_PATH, admin_token)
    lines = [f"backend: {body.get('backend')} ({body.get('scope')})"]
    lines.append(f"worker: pid {body.get('worker')}")
    for key, label in _STATS_LINES:
        value = body.get(key)
        lines.append(f"{label}: {'unknown' if value is None else value}")
    return lines


async def clear(url: str, admin_token: str) -> list[str]:
    """The lines ``vanta cache clear`` prints."""
    body = await _admin("POST", url + CLEAR_PATH, admin_token)
    lines = [
        f"backend: {body.get('backend')} ({body.get('scope')})",
        f"cleared: {body.get('cleared')} entries (worker pid {body.get('worker')})",
    ]
    if "workers" in body:
        lines.append(f"workers: {body['workers']}")
    return lines


MSG_PER_WORKER = (
    "note: the server's cache is in-process: this warmed the worker that answered; with"
    " several workers each keeps its own store (VANTA_REDIS_URL gives them one to share)"
)


async def per_worker_note(url: str, admin_token: str) -> str | None:
    """A note for warm's output when the cache is per worker; None otherwise or unknown."""
    try:
        body = await _admin("GET", url + STATS_PATH, admin_token)
    except CacheCommandError:
        return None  # only a note: warm's own lines already say what happened
    return MSG_PER_WORKER if body.get("backend") == "memory" else None


async def warm_report(
    url: str, token: str, admin_token: str, operations: list[dict[str, Any]]
) -> tuple[list[str], bool]:
    """(the lines ``vanta cache warm`` prints, whether every operation answered cleanly)."""
    results = await warm(url, token, operations)
    lines = [result.line() for result in results]
    failed = sum(not result.ok for result in results)
    lines.append(f"warmed {len(results) - failed} of {len(results)} operations at {url}")
    note = await per_worker_note(url, admin_token)
    if note is not None:
        lines.append(note)
    return lines, not failed


async def warm(url: str, token: str, operations: list[dict[str, Any]]) -> list[WarmResult]:
    """POST each operation to ``url``/graphql, one after another, as a client would."""
    results: list[WarmResult] = []
    async with _session() as session:
        for operation in operations:
            headers = {"Authorization": f"Bearer {token}"}
            try:
                async with session.post(url + "/graphql", json=operation, headers=headers) as r:
                    raw = await r.read()
                    result = WarmResult(
                        operation["operationName"],
                        r.status,
                        r.headers.get("X-Cache", "-"),
                        _errors_of(raw),
                    )
            except (aiohttp.ClientError, OSError, TimeoutError) as error:
                raise _unreachable(url, error) from None
            results.append(result)
    return results


def _errors_of(raw: bytes) -> list[str]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return [f"not a GraphQL response: {raw[:200]!r}"]
    if not isinstance(body, dict):
        return ["not a GraphQL response"]
    return [_describe(error) for error in body.get("errors") or ()]


def _describe(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    extensions = error.get("extensions") or {}
    code = extensions.get("code") if isinstance(extensions, dict) else None
    return f"{error.get('message')} [{code}]" if code else str(error.get("message"))


async def _admin(method: str, url: str, token: str) -> dict[str, Any]:
    async with _session() as session:
        try:
            async with session.request(
                method, url, headers={"Authorization": f"Bearer {token}"}
            ) as response:
                raw = await response.read()
                status = response.status
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise _unreachable(url, error) from None
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        body = None
    if status != 200 or not isinstance(body, dict):
        errors = _errors_of(raw) if isinstance(body, dict) else [f"HTTP {status}"]
        raise CacheCommandError(f"{url}: {status}: {'; '.join(errors)}")
    return body


def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS))


def _unreachable(url: str, error: BaseException) -> CacheCommandError:
    reason = str(error) or type(error).__name__
    return CacheCommandError(f"cannot reach the server at {url}: {reason} (is it running?)")
