"""Every construct the fast path refuses goes to stock execution, with stock's exact answer;
runtime errors re-run the request the stock way, so errors, paths and nulls are stock's."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import orjson
import pytest
import strawberry
from graphql import FieldNode, GraphQLError, ValidationRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter
from strawberry.permission import BasePermission

from app.auth import Viewer
from app.config import Settings
from app.documents.prepared import PreparedDocuments
from app.execution import execute_operation
from app.protocol import Operation
from schema.build import VantaSchema
from schema.prepared import UsePreparedDocument
from tests.app.fastpath.conftest import Executor, Result, run_without_database


async def _same(executor: Executor, query: str, viewer: Viewer | None, **variables: Any) -> Result:
    fast, stock = await executor.both(query, variables or None, viewer)
    assert (fast.status, fast.body) == (stock.status, stock.body)
    return fast


@pytest.mark.parametrize(
    "query",
    [
        "{ __schema { queryType { name } } }",
        '{ __type(name: "Document") { name fields { name } } }',
        "{ viewer { role } __schema { types { name } } }",
    ],
    ids=["schema", "type", "mixed"],
)
async def test_introspection_falls_back(
    executor: Executor, viewers: dict[str, Viewer], query: str
) -> None:
    result = await _same(executor, query, viewers["admin"])
    assert result.path == "stock" and result.status == 200


async def test_mutation_falls_back(executor: Executor, viewers: dict[str, Viewer]) -> None:
    # A viewer may not delete: an error, and nothing changes.
    result = await _same(executor, 'mutation { deleteDocument(id: "1") }', viewers["viewer-a"])
    assert result.path == "stock"
    assert result.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    "query",
    [
        "subscription { documentProcessed { id } }",
        "{ documents(first: 1) { nodes { ... @defer { id } } } }",
        "{ documents(first: 1) @stream { nodes { id } } }",
        "{ documents(first: 1) @custom { nodes { id } } }",
        "{ documents(first: 1) { nodes { id } } ",  # does not parse
        "{ documents(first: 1) { nodes { nope } } }",  # does not validate
    ],
    ids=["subscription", "defer", "stream", "custom-directive", "syntax", "invalid"],
)
async def test_unsupported_or_invalid_documents_fall_back(
    executor: Executor, viewers: dict[str, Viewer], query: str
) -> None:
    result = await _same(executor, query, viewers["admin"])
    assert result.path in ("stock", "request-error")
    assert result.status >= 400 or "errors" in result.json()


async def test_variable_coercion_errors_are_stocks(
    executor: Executor, viewers: dict[str, Viewer]
) -> None:
    query = "query ($id: ID!) { document(id: $id) { id } }"
    result = await _same(executor, query, viewers["admin"], id=[1, 2])
    assert result.path == "stock" and result.status == 400


async def test_resolver_error_reports_stocks_error_and_path(
    executor: Executor, viewers: dict[str, Viewer]
) -> None:
    query = "{ companies(first: 2) { nodes { name documents(first: 500) { totalCount } } } }"
    result = await _same(executor, query, viewers["admin"])
    assert result.path == "stock"
    body = result.json()
    assert body["data"] is None  # DocumentConnection! nulls up to the nullable root
    assert body["errors"][0]["path"] == ["companies", "nodes", 0, "documents"]


async def test_anonymous_request_reports_stocks_error(executor: Executor) -> None:
    result = await _same(executor, "{ documents(first: 1) { totalCount } viewer { role } }", None)
    assert result.path == "stock"
    assert result.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_document_nested_too_deeply_falls_back(
    executor: Executor, viewers: dict[str, Viewer]
) -> None:
    deep = "{ documents(first: 1) { nodes { " + "company { projects { " * 150 + "id" + " } }" * 150
    result = await _same(executor, deep + " } } }", viewers["admin"])
    assert result.path == "stock"


async def test_root_argument_error_reports_stocks_error(
    executor: Executor, viewers: dict[str, Viewer]
) -> None:
    result = await _same(
        executor, '{ viewer { role } document(id: "abc") { id } }', viewers["admin"]
    )
    assert result.path == "stock"
    assert result.json()["data"] == {"viewer": {"role": "admin"}, "document": None}


# -- constructs the real schema does not use: a small schema that has them -------------


@strawberry.type
class Cat:
    name: str


@strawberry.type
class Dog:
    name: str


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Person(Named):
    age: int


class Nobody(BasePermission):
    message = "No."

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Query:
    @strawberry.field
    def pet(self) -> Cat | Dog:
        return Cat(name="Tom")

    @strawberry.field
    def named(self) -> Named:
        return Person(name="Ann", age=3)

    @strawberry.field(permission_classes=[Nobody])
    def secret(self) -> str:
        return "s"

    @strawberry.field
    def person(self) -> Person:
        return Person(name="Bo", age=2**40)  # Int cannot represent it: a runtime error

    @strawberry.field
    def cat(self) -> Cat:
        return Cat(name="Felix")

    @strawberry.field
    def cats(self) -> list[Cat] | None:
        return [Cat(name="Felix"), Cat(name=None)]  # type: ignore[arg-type]


SMALL = strawberry.Schema(query=Query)


async def _small(query: str, fast: bool) -> tuple[bytes, str]:
    return await run_without_database(SMALL, query, fast=fast)


@pytest.mark.parametrize(
    "query",
    [
        "{ pet { ... on Cat { name } } }",
        "{ named { name ... on Person { age } } }",
        "{ secret }",
        "{ person { name age } }",
    ],
    ids=["union", "interface", "field-extension", "serialization-error"],
)
async def test_small_schema_constructs_fall_back_to_stock(query: str) -> None:
    fast, path = await _small(query, True)
    stock, _ = await _small(query, False)
    assert path == "stock"
    assert fast == stock


async def test_null_in_non_null_field_propagates_like_stock() -> None:
    fast, path = await _small("{ cat { name } cats { name } }", True)
    assert path == "stock"
    assert fast == (await _small("{ cat { name } cats { name } }", False))[0]
    body = orjson.loads(fast)
    assert body["data"] == {"cat": {"name": "Felix"}, "cats": None}
    assert body["errors"][0]["path"] == ["cats", 1, "name"]


async def test_small_schema_supported_query_is_fast() -> None:
    fast, path = await _small("{ cat { name __typename } }", True)
    assert path == "fast"
    assert fast == (await _small("{ cat { name __typename } }", False))[0]


def test_document_cache_is_bounded_and_plans_follow_condition_variables() -> None:
    one = PreparedDocuments(SMALL, max_bytes=1 << 20, default_ttl=60).prepare("{ a: cat { name } }")
    cache = PreparedDocuments(SMALL, max_bytes=2 * one.size, default_ttl=60)
    for name in ("a", "b", "c"):
        assert cache.prepare(f"{{ {name}: cat {{ name }} }}").valid
    assert len(cache) == 2 and cache.size_bytes <= 2 * one.size
    prepared = cache.prepare("query ($s: Boolean!) { cat { name @skip(if: $s) } }")
    operation = prepared.operation(None)
    assert operation is not None and operation.fast is not None
    fast = operation.fast
    assert fast.condition_variables == ("s",)
    from graphql import get_variable_values

    plans = []
    for skip in (True, False):
        values = get_variable_values(
            SMALL._schema, fast.operation.variable_definitions, {"s": skip}
        )
        assert not isinstance(values, list)
        plans.append(fast.plan(values))
    assert plans[0] is not plans[1]
    assert [f.key for f in plans[1].fields[0].shape.plan.fields] == ["name"]  # type: ignore[union-attr]
    assert plans[0].fields[0].shape.plan.fields == []  # type: ignore[union-attr]


# -- query limits (validation rules, parser token limit) apply on the fast path too -------


class NoAliases(ValidationRule):
    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.alias is not None:
            self.report_error(GraphQLError("No aliases here.", node))


def _limited(*, expose: bool) -> strawberry.Schema:
    """A schema with its own query limits: exposed as VantaSchema does (the prepared-document
    stage applies them, and the fast path runs), or hidden in extensions of its own (only
    stock execution can apply them: no fast path)."""
    if expose:
        schema: strawberry.Schema = VantaSchema(
            query=Query,
            extensions=[lambda: UsePreparedDocument(rules=[NoAliases], max_tokens=12)],
        )
        schema.query_rules = (NoAliases,)  # type: ignore[attr-defined]
        schema.max_tokens = 12  # type: ignore[attr-defined]
        return schema
    return strawberry.Schema(
        query=Query,
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=12),
            lambda: AddValidationRules([NoAliases]),
        ],
    )


async def _run(schema: strawberry.Schema, query: str, fast: bool) -> tuple[int, bytes, str]:
    context = SimpleNamespace(
        settings=Settings(fastpath_enabled=fast),
        db=None,
        viewer=None,
        loaders=None,
        request_id="q",
        renew_loaders=lambda: None,
    )
    outcome = await execute_operation(
        schema,  # type: ignore[arg-type]
        Operation(query, None, None, None),
        context,  # type: ignore[arg-type]
        allow_mutations=False,
    )
    return outcome.status, orjson.dumps(outcome.body), outcome.path


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("{ cat { name } }", "fast"),
        ("{ c: cat { name } }", "stock"),  # the validation rule refuses it
        ("{ cat { " + "name " * 12 + "} }", "stock"),  # over 12 tokens
    ],
)
async def test_query_limits_apply_before_the_fast_path(query: str, path: str) -> None:
    schema = _limited(expose=True)
    fast = await _run(schema, query, True)
    stock = await _run(schema, query, False)
    assert fast[2] == path
    assert fast[:2] == stock[:2]


async def test_limits_the_fast_path_cannot_see_turn_it_off() -> None:
    schema = _limited(expose=False)
    assert (await _run(schema, "{ cat { name } }", True))[2] == "stock"
