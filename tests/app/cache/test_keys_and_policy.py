"""Cache keys are stable across processes and separate tenants; policies follow field hints."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.auth import Viewer
from app.cache.keys import response_key
from app.cache.policy import policy_for

QUERY = (
    "query Q($c: ID!, $n: Int) { documents(first: $n, filter: {companyId: $c}) { nodes { id } } }"
)
ADMIN = Viewer("alice", "admin", None)


def _key(viewer: Viewer | None, variables: dict | None = None, **kwargs: bool) -> str:
    return response_key(
        QUERY,
        "Q",
        variables or {"c": "1", "n": 5},
        viewer,
        per_subject=kwargs.get("per_subject", False),
    )


def test_key_is_identical_in_another_process() -> None:
    code = (
        "from app.auth import Viewer; from app.cache.keys import response_key; "
        f"print(response_key({QUERY!r}, 'Q', {{'n': 5, 'c': '1'}}, Viewer('alice', 'admin', None), "
        "per_subject=False))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert other == _key(ADMIN)


def test_variable_order_does_not_matter_but_values_do() -> None:
    assert _key(ADMIN, {"c": "1", "n": 5}) == _key(ADMIN, {"n": 5, "c": "1"})
    assert _key(ADMIN, {"c": "1", "n": 5}) != _key(ADMIN, {"c": "2", "n": 5})
    assert _key(ADMIN, {"c": "1", "n": 5}) != _key(ADMIN, {"c": "1", "n": "5"})


def test_callers_with_the_same_access_share_a_key_and_others_do_not() -> None:
    viewer_a = Viewer("bob", "viewer", frozenset({1}))
    same_access = Viewer("carol", "viewer", frozenset({1}))
    assert _key(viewer_a) == _key(same_access)
    for other in (
        Viewer("bob", "viewer", frozenset({1, 2})),
        Viewer("bob", "accountant", frozenset({1})),
        Viewer("bob", "viewer", None),
        None,
    ):
        assert _key(other) != _key(viewer_a)


def test_per_subject_keys_separate_people_with_the_same_access() -> None:
    viewer_a = Viewer("bob", "viewer", frozenset({1}))
    same_access = Viewer("carol", "viewer", frozenset({1}))
    assert _key(viewer_a, per_subject=True) != _key(same_access, per_subject=True)


@pytest.mark.parametrize(
    ("query", "cacheable", "ttl", "per_subject"),
    [
        ("{ companies { nodes { id } } }", True, 60, False),
        ("{ documentStatistics { total } }", True, 10, False),
        ("{ companies { nodes { financialSummary { net } } } }", True, 30, False),
        ("{ viewer { subject } }", True, 60, True),
        ("query { ...F } fragment F on Query { viewer { role } }", True, 60, True),
        ("{ systemMetrics { rssBytes } }", False, 0, False),
        ("{ companies { nodes { id } } systemMetrics { threads } }", False, 0, False),
        ("mutation { deleteDocument(id: 1) }", False, 0, False),
        ("{ not parsable", False, 0, False),
    ],
)
def test_policy_follows_the_field_hints(
    query: str, cacheable: bool, ttl: int, per_subject: bool
) -> None:
    policy = policy_for(query, None, 60)
    assert (policy.cacheable, policy.ttl, policy.per_subject) == (cacheable, ttl, per_subject)


def test_policy_of_the_named_operation() -> None:
    document = "query A { companies { nodes { id } } } mutation B { deleteDocument(id: 1) }"
    assert policy_for(document, "A", 60).cacheable
    assert not policy_for(document, "B", 60).cacheable
    assert not policy_for(document, None, 60).cacheable  # ambiguous without a name
