"""Aggregated pages: a connection whose only selection is rendered ``nodes`` reads one row
per page (the JSON texts and keys aggregated in PostgreSQL) and answers, and tags the
response cache, exactly as stock execution does.

The world of test_joins (documents without metadata, projects of the document's company
and of another one), so the pages hold nulls, hidden projects and trimmed last rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from app.config import Settings
from tests.app.fastpath.conftest import Executor, executor_on, world_database
from tests.app.fastpath.test_joins import _adjust, _viewers
from tests.conftest import TestDatabase
from tests.world import World

_NODE = "id filename uploadedAt company { id name } metadata { tags totalAmount } project { id }"
# (query, aggregated?): nodes-only connections at the root and per company, pages cut short
# (first below the count: the extra row of LIMIT first + 1 is dropped), empty pages, and
# selections that need the rows after all (cursors, a second document plan).
QUERIES = [
    (
        "query($c: ID!) { documents(first: 4, filter: {companyId: $c}) { nodes { "
        + _NODE
        + " } } }",
        True,
    ),
    ("{ documents(first: 0) { __typename nodes { id } } }", True),
    ("{ documents(first: 100, orderBy: UPLOADED_AT_ASC) { nodes { " + _NODE + " } } }", True),
    (
        "{ companies(first: 5) { nodes { id documents(first: 3) { nodes { " + _NODE + " } } } } }",
        True,
    ),
    (
        '{ companies { nodes { d: documents(first: 2, filter: {status: "archived"}) '
        "{ nodes { id } } } } }",
        True,
    ),
    (
        "query($c: ID!) { documents(first: 4, filter: {companyId: $c}) { nodes { id } "
        "pageInfo { hasNextPage endCursor } } }",
        False,
    ),
    (
        "{ companies(first: 2) { nodes { documents(first: 2) { nodes { id } } } } "
        "documents(first: 2) { nodes { filename } } }",
        False,
    ),
]


@pytest.fixture(scope="module")
async def aggregated_world(test_db: TestDatabase) -> AsyncIterator[tuple[World, str]]:
    async with world_database(test_db, _adjust) as made:
        yield made


@pytest.fixture(scope="module")
async def aggregated_executor(
    aggregated_world: tuple[World, str], settings: Settings
) -> AsyncIterator[Executor]:
    async with executor_on(aggregated_world[1], settings) as executor:
        yield executor


def _is_aggregated(statements: tuple[str, ...]) -> bool:
    return any('array_agg(p."rendered.0"' in sql for sql in statements)


@pytest.mark.parametrize(("query", "aggregated"), QUERIES)
async def test_aggregated_pages_answer_and_tag_like_stock(
    aggregated_executor: Executor,
    aggregated_world: tuple[World, str],
    query: str,
    aggregated: bool,
) -> None:
    world, _ = aggregated_world
    variables = {"c": str(world.companies["a"])} if "$c" in query else None
    for name, viewer in _viewers(world).items():
        fast, stock = await aggregated_executor.both(query, variables, viewer)
        assert fast.path == "fast", (name, fast.body[:300])
        assert (fast.status, fast.body) == (stock.status, stock.body), name
        assert b'"errors"' not in fast.body
        assert fast.tags == stock.tags, name
        pages = [sql for sql in fast.statements if "FROM documents d" in sql]
        assert pages or name != "admin"  # (a viewer of another company reads nothing)
        assert all(_is_aggregated((sql,)) is aggregated for sql in pages), (name, pages)


async def test_a_page_with_a_failed_check_falls_back_to_stock(
    aggregated_executor: Executor, aggregated_world: tuple[World, str]
) -> None:
    """One NULL tag in [String!] makes the page's array NULL: stock answers with its error."""
    world, dsn = aggregated_world
    document = world.documents["b"][1]
    conn = await asyncpg.connect(dsn)
    tags = await conn.fetchval(
        "SELECT tags FROM document_metadata WHERE document_id = $1", document
    )
    assert tags is not None
    try:
        await conn.execute(
            "UPDATE document_metadata SET tags = ARRAY['x', NULL] WHERE document_id = $1",
            document,
        )
        query = QUERIES[3][0]
        viewer = _viewers(world)["admin"]
        fast, stock = await aggregated_executor.both(query, None, viewer)
        assert fast.path == "stock"
        assert _is_aggregated(fast.statements)  # it was tried, then stock answered
        assert (fast.status, fast.body) == (stock.status, stock.body)
        assert b'"errors"' in stock.body
    finally:
        await conn.execute(
            "UPDATE document_metadata SET tags = $1 WHERE document_id = $2", tags, document
        )
        await conn.close()
