"""Prepared documents: the size estimate covers what a parsed document really holds."""

from __future__ import annotations

import gc
import tracemalloc

import pytest
from graphql import parse

from app.documents.prepared import AST_BYTES_PER_CHARACTER, ENTRY_OVERHEAD_BYTES, PreparedDocuments
from bench.queries import payloads
from schema.build import build_schema

SCHEMA = build_schema()
HOSTILE = "{ companies(first: 1) { nodes { " + "projects { company { id } } " * 283 + "} } }"
QUERIES = [body["query"] for body in payloads(1, 1).values()] + [HOSTILE, "{ __typename }"]


@pytest.mark.parametrize("query", QUERIES)
def test_the_estimate_is_not_below_the_parsed_size(query: str) -> None:
    gc.collect()
    tracemalloc.start()
    try:
        document = parse(query)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert document is not None
    assert held <= ENTRY_OVERHEAD_BYTES + AST_BYTES_PER_CHARACTER * len(query)


def test_one_document_answers_every_operation_name_with_its_own_policy() -> None:
    documents = PreparedDocuments(SCHEMA, max_bytes=1 << 20, default_ttl=60)
    text = "query A { __typename } query B { systemMetrics { uptimeSeconds } } mutation C { __typename }"
    prepared = documents.prepare(text)
    a, b, c = (prepared.operation(name) for name in ("A", "B", "C"))
    assert a is not None and a.policy.cacheable and a.fast is not None
    assert b is not None and not b.policy.cacheable  # systemMetrics is never cached
    assert c is not None and not c.policy.cacheable and c.fast is None
    assert prepared.operation("D") is None
    assert documents.prepare(text) is prepared and documents.parses == 1


def test_a_changed_comment_costs_a_parse_but_no_second_validation() -> None:
    documents = PreparedDocuments(SCHEMA, max_bytes=1 << 20, default_ttl=60)
    first = documents.prepare("{ companies(first: 1) { nodes { id } } } # one")
    second = documents.prepare("{ companies(first: 1) {\n nodes { id } } } # two")
    assert first is not second and first.valid and second.valid
    assert (documents.parses, documents.validations) == (2, 1)
    invalid = "{ companies(first: 1) { nope } }"
    assert not documents.prepare(invalid + " # a").valid
    assert not documents.prepare(invalid + " # b").valid
    assert documents.validations == 3  # errors carry this text's own locations


def test_a_document_over_a_precheck_limit_is_never_parsed() -> None:
    from app.config import Settings
    from app.documents.precheck import budget_for

    budget = budget_for(Settings(max_fields=5))
    documents = PreparedDocuments(SCHEMA, max_bytes=1 << 20, default_ttl=60, budget=budget)
    prepared = documents.prepare("{ " + " ".join(f"a{i}: __typename" for i in range(9)) + " }")
    assert prepared.refusal is not None and prepared.refusal.code == "TOO_MANY_FIELDS"
    assert prepared.document is None and documents.parses == 0


async def test_a_large_unseen_document_is_validated_off_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio
    import threading

    import app.documents.prepared as prepared_module

    threads: list[str] = []
    original = prepared_module.validate_document

    def recording(*args: object) -> object:
        threads.append(threading.current_thread().name)
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(prepared_module, "validate_document", recording)
    documents = PreparedDocuments(SCHEMA, max_bytes=1 << 22, default_ttl=60)
    small = await documents.prepare_async("{ __typename }")
    large = await documents.prepare_async("{ " + "__typename " * 300 + "}")
    assert small.valid and large.valid
    assert threads[0] == threading.current_thread().name != threads[1]
    assert asyncio.get_running_loop() is not None
