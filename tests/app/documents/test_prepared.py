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
