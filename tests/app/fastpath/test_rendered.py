"""Documents rendered as JSON by PostgreSQL give the bytes stock execution gives.

Its own database, with the values where a rendering could differ from the scalars'
serialization: control characters, quotes, backslashes and non-ASCII text, timestamps with
and without microseconds (trailing zeros too) and at years 1 and 9999, decimals at zero and
negative, empty tag lists, and the values that are GraphQL errors (a NULL item in a
[String!] list, an infinite timestamp), which must make the request fall back to stock
execution and answer exactly as it does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import asyncpg
import orjson
import pytest

from app.auth import Viewer, decode_token
from app.config import Settings
from app.db.projection import JsonObject, Projection, Rendered
from app.fastpath.plan import ObjectPlan, TypenameField
from app.fastpath.rendering import render_spec
from tests.app.fastpath.conftest import Executor, executor_on, world_database
from tests.conftest import JWT_SECRET, TestDatabase, make_token
from tests.world import World

NASTY = "\x01\x1f\"\\/\n\t\r\b\f\x7f é€😀\u2028 <script>'"
LIST = (
    "query($c: ID!, $f: Int!) { documents(first: $f, filter: {companyId: $c}) { nodes { "
    "__typename id filename documentType category status processingStatus mimeType fileSize "
    "uploadedAt company { __typename id name registrationNumber industry status createdAt } "
    "metadata { tags keywords classification summary invoiceNumber vendorName totalAmount "
    "currency } project { id name client status } } } }"
)
LOOKUP = "query($id: ID!) { document(id: $id) { id uploadedAt m: metadata { t: tags } } }"


async def _adjust(conn: asyncpg.Connection, world: World) -> None:
    docs = world.documents["a"]
    await conn.execute(
        "UPDATE companies SET name = $1, industry = $1 WHERE id = $2",
        NASTY,
        world.companies["a"],
    )
    await conn.execute("UPDATE documents SET filename = $1 WHERE id = $2", NASTY, docs[0])
    await conn.execute(
        "UPDATE documents SET uploaded_at = '2025-03-04 05:06:07.000001+00', "
        "mime_type = NULL, file_size = NULL WHERE id = $1",
        docs[1],
    )
    await conn.execute(
        "UPDATE documents SET uploaded_at = '0001-01-01 00:00:00+00' WHERE id = $1",
        docs[2],
    )
    await conn.execute(
        "UPDATE document_metadata SET tags = '{}', total_amount = $1, summary = $2, "
        "currency = NULL WHERE document_id = $3",
        Decimal("0.00"),
        NASTY,
        docs[3],
    )
    await conn.execute(
        "UPDATE document_metadata SET total_amount = $1 WHERE document_id = $2",
        Decimal("-123456789012.50"),
        docs[4],
    )
    # PostgreSQL's JSON text drops a fraction's trailing zeros (".5"); isoformat() does not.
    await conn.execute(
        "UPDATE documents SET uploaded_at = '2025-03-04 05:06:07.5+00' WHERE id = $1", docs[4]
    )
    await conn.execute(
        "UPDATE companies SET created_at = '9999-12-31 23:59:59+00' WHERE id = $1",
        world.companies["a"],
    )
    # GraphQL errors: a NULL tag (in [String!]) and an infinite timestamp.
    await conn.execute(
        "UPDATE document_metadata SET tags = ARRAY['x', NULL] WHERE document_id = $1",
        world.documents["b"][0],
    )
    await conn.execute(
        "UPDATE documents SET uploaded_at = 'infinity' WHERE id = $1",
        world.documents["c"][0],
    )


@pytest.fixture(scope="module")
async def rendered_world(test_db: TestDatabase) -> AsyncIterator[tuple[World, str]]:
    async with world_database(test_db, _adjust) as made:
        yield made


@pytest.fixture(scope="module")
async def rendered_executor(
    rendered_world: tuple[World, str], settings: Settings
) -> AsyncIterator[Executor]:
    async with executor_on(rendered_world[1], settings) as executor:
        yield executor


def _viewers(world: World) -> dict[str, Viewer]:
    a = world.companies["a"]
    return {
        "admin": decode_token(JWT_SECRET, make_token("admin", "*")),
        "viewer-a": decode_token(JWT_SECRET, make_token("viewer", [a], subject="va")),
    }


async def test_rendered_values_equal_stocks_bytes(
    rendered_executor: Executor, rendered_world: tuple[World, str]
) -> None:
    world, _ = rendered_world
    for name, viewer in _viewers(world).items():
        variables = {"c": str(world.companies["a"]), "f": 25}
        fast, stock = await rendered_executor.both(LIST, variables, viewer)
        assert fast.path == "fast", (name, fast.body[:300])
        assert fast.body == stock.body, name
        assert fast.round_trips == 1
        assert orjson.dumps(NASTY) in stock.body  # the awkward text really is in the answer
        for document in world.documents["a"][:5]:
            fast, stock = await rendered_executor.both(LOOKUP, {"id": str(document)}, viewer)
            assert (fast.path, fast.body) == ("fast", stock.body), (name, document)


@pytest.mark.parametrize("company", ["b", "c"])
async def test_values_that_are_graphql_errors_answer_as_stock(
    rendered_executor: Executor, rendered_world: tuple[World, str], company: str
) -> None:
    """A NULL tag (an error in [String!]) or an infinite timestamp (asyncpg's datetime.max,
    which PostgreSQL would spell 'infinity'): the rendering is NULL, stock answers."""
    world, _ = rendered_world
    viewer = _viewers(world)["admin"]
    variables = {"c": str(world.companies[company]), "f": 5}
    fast, stock = await rendered_executor.both(LIST, variables, viewer)
    assert fast.path == "stock"
    assert (fast.status, fast.body) == (stock.status, stock.body)
    assert (b'"errors"' in stock.body) == (company == "b")


def test_static_json_text_is_a_literal_only_when_it_holds_names_and_punctuation() -> None:
    """Response keys become SQL literals: only GraphQL names and JSON punctuation pass, so
    no quote or backslash can reach the statement text."""
    obj = JsonObject((('"id":', "to_json(d.id::text)::text"), ('"x_1":', "'null'")))
    sql = Rendered("rendered", obj).sql()
    assert (
        sql
        == "('{\"id\":'::text || to_json(d.id::text)::text || ',\"x_1\":'::text || 'null' || '}'::text)"
    )
    assert "$" not in Projection(renders=(Rendered("r", obj),)).select_list
    for key in ('"a\'b":', '"a\\\\b":', '"a b":', '"a\n":'):
        with pytest.raises(ValueError):
            Rendered("rendered", JsonObject(((key, "'null'"),))).sql()


def test_a_key_that_is_no_graphql_name_is_never_rendered() -> None:
    """Defence in depth: the rendering refuses a plan whose response key is not a Name."""
    assert render_spec(ObjectPlan("Document", [TypenameField("__typename", "Document")]))
    assert render_spec(ObjectPlan("Document", [TypenameField("a'b", "Document")])) is None
