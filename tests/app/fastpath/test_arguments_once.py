"""Root lists and per-company pages without the resolver: arguments written in the document
are checked once per plan, arguments from variables on every request, errors never kept."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from app.auth import Viewer
from app.documents.prepared import PreparedDocuments
from app.fastpath import runner
from tests.app.fastpath.conftest import Executor
from tests.world import World

NAMES = "{ companies(first: 2) { nodes { name documents(first: 1) { nodes { id } } } } }"
BY_VARIABLE = "query($n: Int) { companies(first: $n) { nodes { id } } }"
NEGATIVE = "{ companies(first: -1) { nodes { id } } }"


async def test_constant_arguments_answer_like_stock_every_time(
    executor: Executor, viewers: dict[str, Viewer]
) -> None:
    for name, viewer in viewers.items():
        for _ in range(2):  # the second run uses the plan's checked arguments
            fast, stock = await executor.both(NAMES, None, viewer)
            assert fast.path == "fast", name
            assert (fast.status, fast.body) == (stock.status, stock.body), name


async def test_arguments_from_variables_are_checked_per_request(
    executor: Executor, viewers: dict[str, Viewer]
) -> None:
    admin = viewers["admin"]
    sizes = []
    for n in (1, 3, 2):
        fast, stock = await executor.both(BY_VARIABLE, {"n": n}, admin)
        assert (fast.path, fast.body) == ("fast", stock.body)
        sizes.append(len(fast.json()["data"]["companies"]["nodes"]))
    assert sizes == [1, 3, 2]
    fast, stock = await executor.both(BY_VARIABLE, {"n": -1}, admin)
    assert fast.path == "stock" and fast.body == stock.body
    assert b"BAD_USER_INPUT" in fast.body


async def test_a_bad_constant_argument_is_reported_on_every_request(
    executor: Executor, viewers: dict[str, Viewer]
) -> None:
    for _ in range(2):
        fast, stock = await executor.both(NEGATIVE, None, viewers["admin"])
        assert fast.path == "stock" and (fast.status, fast.body) == (stock.status, stock.body)
        assert b"first must not be negative" in fast.body


async def test_checked_arguments_follow_the_variables_values(
    executor: Executor, viewers: dict[str, Viewer], world: World
) -> None:
    """Kept by value: the same filter twice reads the same page, another filter another."""
    query = "query($c: ID!) { documents(first: 2, filter: {companyId: $c}) { nodes { id } } }"
    admin = viewers["admin"]
    pages = []
    for company in ("a", "b", "a", "b"):
        fast, stock = await executor.both(query, {"c": str(world.companies[company])}, admin)
        assert (fast.path, fast.body) == ("fast", stock.body)
        pages.append([node["id"] for node in fast.json()["data"]["documents"]["nodes"]])
    assert pages[0] == pages[2] and pages[1] == pages[3] and pages[0] != pages[1]
    assert pages[0] == [str(i) for i in world.documents["a"][:2]]


async def test_arguments_are_converted_once_per_plan_and_values(
    executor: Executor, viewers: dict[str, Viewer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The keeping itself: without it, every request converts its arguments again."""
    conversions: list[object] = []
    convert = runner.converted_arguments

    def counting(*args: Any) -> Any:
        conversions.append(args)
        return convert(*args)

    monkeypatch.setattr(runner, "converted_arguments", counting)
    admin = viewers["admin"]
    documents = PreparedDocuments(executor.schema, max_bytes=1 << 20, default_ttl=60)
    run = replace(executor, documents=documents).run  # plans kept, as in the server
    assert (await run(NAMES, None, admin, fast=True)).path == "fast"
    conversions.clear()
    assert (await run(NAMES, None, admin, fast=True)).path == "fast"
    assert conversions == []  # companies and documents: both kept
    for n, converted in ((5, 1), (5, 0), (4, 1)):
        conversions.clear()
        assert (await run(BY_VARIABLE, {"n": n}, admin, fast=True)).path == "fast"
        assert len(conversions) == converted, n
