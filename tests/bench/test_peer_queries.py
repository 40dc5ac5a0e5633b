"""The peer's Q1-Q3 ask for the same fields in the same order as ours, names mapped."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import FieldNode, OperationDefinitionNode, parse

from bench.peer.compare import PEER_NAMES
from bench.peer.queries import peer_payloads
from bench.queries import Q1, Q2, payloads, q1, q2


def _fields(selection: Any, names: dict[str, str]) -> list[Any]:
    """The selection tree as nested (name, children) lists, names mapped."""
    out = []
    for node in selection.selections:
        assert isinstance(node, FieldNode)
        children = _fields(node.selection_set, names) if node.selection_set else []
        out.append((names.get(node.name.value, node.name.value), children))
    return out


def _tree(query: str, names: dict[str, str]) -> list[Any]:
    operation = parse(query).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return _fields(operation.selection_set, names)


@pytest.mark.parametrize("name", ["Q1", "Q2", "Q3"])
def test_both_servers_are_asked_the_same_fields(name: str) -> None:
    ours, peer = payloads(1, 2)[name], peer_payloads(1, 2)[name]
    assert _tree(ours["query"], {}) == _tree(peer["query"], PEER_NAMES)
    assert ours.get("variables") == peer.get("variables")


def test_the_sweep_builders_give_the_reference_queries_at_their_reference_sizes() -> None:
    assert q1() == Q1 and q1(100) == Q1 and q2(10, 10) == Q2
    assert "first: 20" in q2(20, 20) and "first: 10" in q1(10)
