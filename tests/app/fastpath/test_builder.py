"""Generated fillers: inline guards give exactly the scalar's own output, everything else
(edge values, bad values, raising attributes) gets stock's answer, and client-chosen keys
never become source text."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest
import strawberry
from graphql.execution.values import get_variable_values

from app.documents.prepared import PreparedDocuments
from app.fastpath.builder import compile_filler
from app.fastpath.complete import object_plan
from app.fastpath.plan import ObjectPlan
from tests.app.fastpath.conftest import run_without_database


@strawberry.type
class Row:
    text: str
    maybe: str | None
    count: int
    ratio: float
    flag: bool
    when: datetime = datetime(2026, 11, 28, 9, 30, 15, 120, tzinfo=UTC)
    amount: Decimal | None = None
    labels: list[str] = strawberry.field(default_factory=lambda: ["x", "y"])

    @strawberry.field
    def shout(self) -> str:
        return self.text.upper()

    @strawberry.field
    def repeat(self, times: int) -> str:
        return self.text * times


class Text(str):
    """A str subclass: not what the String guard lets through, but String can write it."""


class Moment(datetime):
    """A datetime subclass: not DateTime's own class, but DateTime can write it."""


ROWS = {
    "plain": Row(text="a", maybe=None, count=7, ratio=0.5, flag=True),
    "int-edges": Row(text="b", maybe="m", count=2_147_483_647, ratio=2.0, flag=False),
    "int-low-edge": Row(text="c", maybe=None, count=-2_147_483_648, ratio=-0.0, flag=True),
    "int-too-big": Row(text="d", maybe=None, count=2_147_483_648, ratio=1.0, flag=True),
    "bool-as-int": Row(text="e", maybe=None, count=True, ratio=1.0, flag=True),  # type: ignore[arg-type]
    "int-as-float": Row(text="f", maybe=None, count=1, ratio=3, flag=True),  # type: ignore[arg-type]
    "nan": Row(text="g", maybe=None, count=1, ratio=float("nan"), flag=True),
    "inf": Row(text="h", maybe=None, count=1, ratio=float("inf"), flag=True),
    "str-subclass": Row(text=Text("i"), maybe=Text("j"), count=1, ratio=1.0, flag=True),
    "null-in-non-null": Row(text=None, maybe=None, count=1, ratio=1.0, flag=True),  # type: ignore[arg-type]
    "int-for-string": Row(text=5, maybe=None, count=1, ratio=1.0, flag=True),  # type: ignore[arg-type]
    "missing-attribute": Row(text="k", maybe=None, count=1, ratio=1.0, flag=True),
    "decimal": Row(text="l", maybe=None, count=1, ratio=1.0, flag=True, amount=Decimal("1.50")),
    "datetime-subclass": Row(
        text="m", maybe=None, count=1, ratio=1.0, flag=True, when=Moment(2020, 1, 2)
    ),
    "labels-subclass": Row(
        text="o", maybe=None, count=1, ratio=1.0, flag=True, labels=[Text("a"), "b"]
    ),
    "labels-tuple": Row(text="p", maybe=None, count=1, ratio=1.0, flag=True, labels=("a",)),  # type: ignore[arg-type]
    "labels-int": Row(text="q", maybe=None, count=1, ratio=1.0, flag=True, labels=["a", 1]),  # type: ignore[list-item]
    "labels-none": Row(text="r", maybe=None, count=1, ratio=1.0, flag=True, labels=[None]),  # type: ignore[list-item]
    "str-for-datetime": Row(text="n", maybe=None, count=1, ratio=1.0, flag=True, when="now"),  # type: ignore[arg-type]
}
del ROWS["missing-attribute"].maybe  # reading it raises AttributeError


@strawberry.type
class Query:
    @strawberry.field
    def rows(self, name: str) -> list[Row]:
        return [ROWS["plain"], ROWS[name]]

    @strawberry.field
    def holes(self) -> list[Row | None] | None:
        return [ROWS["plain"], None, ROWS["decimal"]]

    @strawberry.field
    def broken_holes(self) -> list[Row]:
        return [ROWS["plain"], None]  # type: ignore[list-item]

    @strawberry.field
    def tuple_rows(self) -> list[Row]:
        return (ROWS["plain"], ROWS["decimal"])  # type: ignore[return-value]


SCHEMA = strawberry.Schema(query=Query)
FIELDS = "text maybe count ratio flag when amount labels shout __typename"


async def _run(schema: strawberry.Schema, query: str, fast: bool) -> tuple[bytes, str]:
    return await run_without_database(schema, query, fast=fast)


FAST = [
    "plain",
    "int-edges",
    "int-low-edge",
    "bool-as-int",
    "int-as-float",
    "str-subclass",
    "decimal",
    "datetime-subclass",
    "labels-subclass",
    "labels-tuple",
    "labels-int",
]
STOCK = [
    "int-too-big",
    "nan",
    "inf",
    "null-in-non-null",
    "int-for-string",
    "missing-attribute",
    "str-for-datetime",
    "labels-none",
]


@pytest.mark.parametrize("name", FAST + STOCK)
async def test_values_answer_like_stock(name: str) -> None:
    query = f'{{ rows(name: "{name}") {{ {FIELDS} }} }}'
    fast, path = await _run(SCHEMA, query, True)
    stock, _ = await _run(SCHEMA, query, False)
    assert fast == stock
    # Values a scalar can write stay on the fast path; errors are stock's to report.
    assert path == ("fast" if name in FAST else "stock")
    assert ("errors" in orjson.loads(stock)) == (name in STOCK)


def _plans(query: str) -> list[ObjectPlan]:
    prepared = PreparedDocuments(SCHEMA, max_bytes=1 << 20, default_ttl=60).prepare(query)
    operation = prepared.operation(None)
    assert operation is not None and operation.fast is not None
    variables = get_variable_values(SCHEMA._schema, [], {})
    plan = operation.fast.plan(variables)  # type: ignore[arg-type]
    assert plan is not None
    plans = [plan]
    for field in plan.fields:
        child = object_plan(field.shape) if field.shape is not None else None
        if child is not None:
            plans.append(child)
    return plans


def test_client_chosen_keys_are_values_not_source() -> None:
    aliases = "out: text objs: maybe __class__: count v: ratio children: flag i: shout"
    query = f'{{ rows(name: "plain") {{ {aliases} }} }}'
    root, rows = _plans(query)
    assert rows.filler is not None and root.filler is not None
    source = rows.filler.source  # type: ignore[attr-defined]
    # No string literal at all: keys are read from the namespace (K0, K1...).
    assert '"' not in source and "'" not in source and "__class__:" not in source
    assert "out[K0] = " in source and "obj.text" in source


async def test_aliases_that_look_like_generated_names_answer_like_stock() -> None:
    aliases = "out: text objs: maybe __typename count: ratio v: flag i: shout children: text"
    query = f'{{ rows(name: "plain") {{ {aliases} }} }}'
    fast, path = await _run(SCHEMA, query, True)
    assert path == "fast"
    assert fast == (await _run(SCHEMA, query, False))[0]


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("{ holes { text amount } }", "fast"),
        ("{ tupleRows { text } }", "fast"),
        ("{ brokenHoles { text } }", "stock"),
    ],
    ids=["nullable-items", "tuple", "null-in-non-null-items"],
)
async def test_lists_of_objects_answer_like_stock(query: str, path: str) -> None:
    fast, taken = await _run(SCHEMA, query, True)
    assert taken == path
    assert fast == (await _run(SCHEMA, query, False))[0]


async def test_a_plan_whose_children_need_paths_keeps_the_generic_runner() -> None:
    query = '{ rows(name: "plain") { text repeat(times: 2) } }'
    root, rows = _plans(query)
    # repeat takes arguments, so it gets a real resolver call with info.path: Row's
    # parents (the root) must track paths, which only the generic runner does.
    assert rows.needs_path and root.filler is None and compile_filler(root) is None
    assert rows.filler is not None
    fast, path = await _run(SCHEMA, query, True)
    assert path == "fast" and fast == (await _run(SCHEMA, query, False))[0]
