"""What PostgreSQL spends on each statement the fast path sends, and the in-process cost of
coercing the reference queries' variables.

`python -m bench.statements [--runs 15]` (same VANTA_BENCH_DATABASE_URL as bench.run; seeds
it when needed). Each statement of Q1-Q3 is captured as the fast path sends it (text and
values), then run under ``EXPLAIN (ANALYZE, TIMING OFF)`` on a pool connection like the
server's (generic plans); the figure is the smallest execution time of ``--runs`` runs, the
least disturbed by the rest of the machine. ``--unrendered`` runs each statement once more
with its rendered JSON columns replaced by NULL, to show what PostgreSQL's rendering costs.
Variable coercion: graphql-core's ``get_variable_values`` against the fast path's
``VariableCoercion``, median µs per call.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from typing import Any

import orjson
from graphql import parse

from app.auth import Viewer
from app.config import Settings
from app.db.pool import create_pool
from app.db.session import DbSession
from app.documents.prepared import PreparedDocuments
from app.execution import execute_operation
from app.fastpath.compat import get_variable_values, graphql_schema_of
from app.fastpath.variables import VariableCoercion
from app.protocol import Operation
from bench.queries import payloads
from bench.run import bench_database, prepare
from loaders.factory import create_loaders
from schema.build import build_schema
from schema.context import Context

__all__ = ["main"]


class _Recording(DbSession):
    """A session that keeps every statement it sends."""

    __slots__ = ("sent",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[tuple[str, tuple[Any, ...]]] = []

    async def fetch(self, sql: str, *args: Any) -> Any:
        self.sent.append((sql, args))
        return await super().fetch(sql, *args)


async def _execution_ms(conn: Any, sql: str, args: tuple[Any, ...], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        rows = await conn.fetch(f"EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {sql}", *args)
        plan = rows[0][0]
        plan = orjson.loads(plan) if isinstance(plan, str) else plan
        best = min(best, plan[0]["Execution Time"])
    return best


def _unrendered(sql: str) -> str:
    """The statement with each rendered column's expression replaced by NULL (the rendering
    is the outermost expression before its ``AS "rendered.<n>"``)."""
    out, position = [], 0
    for match in re.finditer(r' AS "rendered\.\d+"', sql):
        start = _expression_start(sql, match.start())
        out.append(sql[position:start] + "NULL")
        position = match.start()
    return "".join(out) + sql[position:]


def _expression_start(sql: str, end: int) -> int:
    """Where the select-list item ending at ``end`` starts (after the previous top-level comma)."""
    depth = 0
    for index in range(end - 1, -1, -1):
        char = sql[index]
        if char == ")":
            depth += 1
        elif char == "(":
            if depth == 0:
                return index + 1
            depth -= 1
        elif char == "," and depth == 0:
            return index + 2  # ", "
    return 0


async def _statements(dsn: str, company_id: int, document_id: int, runs: int, raw: bool) -> None:
    schema = build_schema()
    documents = PreparedDocuments(schema, max_bytes=1 << 24, default_ttl=60)
    pool = await create_pool(dsn, min_size=1, max_size=2)
    viewer = Viewer(subject="bench", role="admin", company_ids=None)
    settings = Settings(database_url=dsn)
    try:
        print("query  statement  PostgreSQL execution ms" + ("  unrendered ms" if raw else ""))
        for name, body in payloads(company_id, document_id).items():
            db = _Recording(pool)
            context = Context(None, settings, db, pool, create_loaders(db, viewer), viewer, "b")
            request = Operation(body["query"], body.get("variables"), None, None)
            outcome = await execute_operation(
                schema, request, context, allow_mutations=False, documents=documents
            )
            assert outcome.path == "fast" and "errors" not in outcome.body, outcome.path
            async with pool.acquire() as conn:
                for number, (sql, args) in enumerate(db.sent, 1):
                    line = f"{name:<5}  {number:>9}  {await _execution_ms(conn, sql, args, runs):23.3f}"
                    if raw and '"rendered.' in sql:
                        unrendered = await _execution_ms(conn, _unrendered(sql), args, runs)
                        line += f"  {unrendered:13.3f}"
                    print(line)
    finally:
        await pool.close()


def _median_microseconds(call: Any, *args: Any) -> float:
    samples = []
    for _ in range(7):
        started = time.perf_counter()
        for _ in range(20_000):
            call(*args)
        samples.append((time.perf_counter() - started) / 20_000 * 1e6)
    return statistics.median(samples)


def _coercion_microseconds(company_id: int, document_id: int) -> None:
    graphql_schema = graphql_schema_of(build_schema())
    print("query  get_variable_values µs  VariableCoercion µs")
    for name, body in payloads(company_id, document_id).items():
        definitions = parse(body["query"]).definitions[0].variable_definitions  # type: ignore[attr-defined]
        if not definitions:
            continue
        inputs = body.get("variables") or {}
        coercion = VariableCoercion(graphql_schema, definitions)
        figures = [
            _median_microseconds(get_variable_values, graphql_schema, definitions, inputs),
            _median_microseconds(coercion.coerce, inputs),
        ]
        print(f"{name:<5}  {figures[0]:22.2f}  {figures[1]:19.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.statements")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--unrendered", action="store_true")
    args = parser.parse_args(argv)
    with bench_database() as (dsn, source):
        data = asyncio.run(prepare(dsn, source))
        asyncio.run(_statements(dsn, data.company_id, data.document_id, args.runs, args.unrendered))
    _coercion_microseconds(data.company_id, data.document_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
