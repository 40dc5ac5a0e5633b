"""The pipeline parses each document once: the prepared-document stage, then never again."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import strawberry.schema.schema as strawberry_schema

from app.config import Settings
from app.resources import DOCUMENTS
from tests.conftest import running
from tests.world import World

Q3 = "query Q3($id: ID!) { document(id: $id) { id filename company { id name } } }"


@pytest.fixture
def strawberry_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every parse stock execution would do itself (it must do none)."""
    calls: list[str] = []
    original = strawberry_schema.parse

    def counting(source: Any, **options: Any) -> Any:
        calls.append(str(source))
        return original(source, **options)

    monkeypatch.setattr(strawberry_schema, "parse", counting)
    return calls


@pytest.mark.parametrize("fast", [True, False])
async def test_one_parse_per_new_document_and_none_on_a_hit(
    settings: Settings, world: World, admin_token: str, strawberry_parses: list[str], fast: bool
) -> None:
    async with running(replace(settings, fastpath_enabled=fast)) as api:
        documents = api.client.app[DOCUMENTS]
        variables = {"id": str(world.documents["a"][0])}
        before = documents.parses
        status, body, headers = await api.post(Q3, variables, admin_token)
        assert status == 200 and body["data"]["document"]["id"] == variables["id"], body
        assert headers["X-Execution-Path"] == ("fast" if fast else "stock")
        assert documents.parses == before + 1
        for _ in range(2):
            assert (await api.post(Q3, variables, admin_token))[0] == 200
        assert documents.parses == before + 1  # prepared-document hits: no parse at all
        assert strawberry_parses == []  # stock execution took the prepared AST


async def test_an_invalid_document_is_parsed_once_and_answered_without_execution(
    settings: Settings, world: World, admin_token: str, strawberry_parses: list[str]
) -> None:
    async with running(settings) as api:
        documents = api.client.app[DOCUMENTS]
        before = documents.parses
        for _ in range(3):
            status, body, _ = await api.post("{ document(id: 1) { nope } }", None, admin_token)
            assert status == 200  # a request error, answered as application/json
            assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
            assert "data" not in body
        assert documents.parses == before + 1 and strawberry_parses == []


async def test_prepared_documents_stay_within_their_byte_budget(
    settings: Settings, world: World, admin_token: str
) -> None:
    async with running(replace(settings, document_cache_max_bytes=64 * 1024)) as api:
        documents = api.client.app[DOCUMENTS]
        for n in range(60):
            query = f"{{ a{n}: document(id: {n + 1}) {{ id filename }} }}"
            assert (await api.post(query, None, admin_token))[0] == 200
        assert 0 < documents.size_bytes <= 64 * 1024
        assert len(documents) < 60  # the oldest were evicted
