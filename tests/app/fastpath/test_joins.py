"""Joined plans: a document's company, metadata and project read from the document's own
statement give the bytes stock execution gives, nulls and tenant scope included.

Its own database: the shared world has metadata for every document and no project on any,
so here some documents lose their metadata, some get a project of their company and one a
project of another company (which a viewer of the document's company must not see).
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import AsyncIterator

import asyncpg
import pytest

from app.auth import Viewer, decode_token
from app.config import Settings
from tests.app.fastpath.conftest import Executor, executor_on, world_database
from tests.app.fastpath.opgen import OperationGenerator
from tests.conftest import JWT_SECRET, TestDatabase, make_token
from tests.world import World

OPERATIONS = 300
SEED = 20261202

_DOCUMENT = "id filename uploadedAt fileSize"
_JOINED = (
    "company { id name companyType createdAt } "
    "metadata { tags keywords totalAmount currency riskScore classification } "
    "project { id name value startDate status }"
)
# (query, variables builder): aliases, fragments, repeated and partial joined selections.
HAND_WRITTEN = [
    "query($id: ID!) { document(id: $id) { " + _DOCUMENT + " " + _JOINED + " } }",
    "query($c: ID!) { documents(first: 30, filter: {companyId: $c}) { nodes { id "
    + _JOINED
    + " } } }",
    "{ documents(first: 50) { nodes { id co: company { n: name } company { id } "
    "m: metadata { tags } metadata { currency __typename } p: project { name } } } }",
    "{ companies(first: 5) { nodes { name documents(first: 7) { nodes { ...D } } } } } "
    "fragment D on Document { id ...J company { id } } "
    "fragment J on Document { metadata { totalAmount } project { id name } }",
    "query($id: ID!) { document(id: $id) { ... on Document { company { name } } "
    "metadata { tags } metadata { keywords } } }",
    "{ documents(first: 40, orderBy: UPLOADED_AT_ASC) { nodes { id project { id company { id } }"
    " metadata { entities { label } } company { documents(first: 2) { nodes { id } } } } } }",
]


async def _adjust(conn: asyncpg.Connection, world: World) -> None:
    a_docs, b_docs = world.documents["a"], world.documents["b"]
    road, bridge = world.projects["a"]
    depot = world.projects["b"][0]
    await conn.execute(
        "DELETE FROM document_metadata WHERE document_id = ANY($1::bigint[])",
        a_docs[1::3] + b_docs[::4],
    )
    await conn.execute(
        "UPDATE documents SET project_id = $1 WHERE id = ANY($2::bigint[])",
        road,
        a_docs[::2],
    )
    await conn.execute("UPDATE documents SET project_id = $1 WHERE id = $2", bridge, a_docs[3])
    # A project of another company: a viewer of company a must get null.
    await conn.execute("UPDATE documents SET project_id = $1 WHERE id = $2", depot, a_docs[5])


@pytest.fixture(scope="module")
async def joined_world(test_db: TestDatabase) -> AsyncIterator[tuple[World, str]]:
    async with world_database(test_db, _adjust) as made:
        yield made


@pytest.fixture(scope="module")
async def joined_executor(
    joined_world: tuple[World, str], settings: Settings
) -> AsyncIterator[Executor]:
    async with executor_on(joined_world[1], settings) as executor:
        yield executor


def _viewers(world: World) -> dict[str, Viewer]:
    a, b = world.companies["a"], world.companies["b"]
    return {
        "admin": decode_token(JWT_SECRET, make_token("admin", "*")),
        "accountant-a": decode_token(JWT_SECRET, make_token("accountant", [a], subject="aa")),
        "viewer-a": decode_token(JWT_SECRET, make_token("viewer", [a], subject="va")),
        "viewer-b": decode_token(JWT_SECRET, make_token("viewer", [b], subject="vb")),
    }


def _variables(world: World, query: str) -> dict[str, str]:
    variables = {}
    if "$id" in query:
        variables["id"] = str(world.documents["a"][5])  # the one with company b's project
    if "$c" in query:
        variables["c"] = str(world.companies["a"])
    return variables


async def test_joined_relations_answer_like_stock_with_fewer_round_trips(
    joined_executor: Executor, joined_world: tuple[World, str]
) -> None:
    world, _ = joined_world
    fewer = 0
    for query in HAND_WRITTEN:
        variables = _variables(world, query)
        for name, viewer in _viewers(world).items():
            fast, stock = await joined_executor.both(query, variables, viewer)
            assert fast.path == "fast", (name, query, fast.body[:300])
            assert (fast.status, fast.body) == (stock.status, stock.body), (name, query)
            assert fast.round_trips <= stock.round_trips, (name, query)
            fewer += fast.round_trips < stock.round_trips
    assert fewer >= len(HAND_WRITTEN)  # the joins really happened


async def test_the_cross_company_project_stays_hidden_when_joined(
    joined_executor: Executor, joined_world: tuple[World, str]
) -> None:
    world, _ = joined_world
    query = "query($id: ID!) { document(id: $id) { id project { id } company { id } } }"
    variables = {"id": str(world.documents["a"][5])}
    viewer_a = _viewers(world)["viewer-a"]
    fast = await joined_executor.run(query, variables, viewer_a, fast=True)
    assert fast.path == "fast" and fast.round_trips == 1
    document = fast.json()["data"]["document"]
    assert document["project"] is None
    assert document["company"] == {"id": str(world.companies["a"])}
    admin = _viewers(world)["admin"]
    seen = await joined_executor.run(query, variables, admin, fast=True)
    assert seen.json()["data"]["document"]["project"] == {"id": str(world.projects["b"][0])}


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_random_operations_over_nulls_and_projects_answer_like_stock(
    joined_executor: Executor, joined_world: tuple[World, str]
) -> None:
    world, _ = joined_world
    generator = OperationGenerator(joined_executor.schema._schema, world, SEED)
    paths: Counter[str] = Counter()
    viewers = _viewers(world)
    for number in range(OPERATIONS):
        operation = generator.next()
        for name, viewer in viewers.items():
            fast, stock = await joined_executor.both(operation.query, operation.variables, viewer)
            assert (fast.status, fast.body) == (stock.status, stock.body), (
                f"operation {number} as {name}:\n{operation.query}\n{operation.variables}\n"
                f"fast ({fast.path}): {fast.body[:600]!r}\nstock: {stock.body[:600]!r}"
            )
            paths[fast.path] += 1
    gc.collect()
    assert paths["fast"] > 0.6 * OPERATIONS * len(viewers), paths
