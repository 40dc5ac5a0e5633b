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


def _tracked_objects(root: object, before: set[int]) -> int:
    """Objects the collector tracks that ``root`` reaches and that are new since ``before``
    (only objects in the collector's generations: a test elsewhere may have frozen the
    schema, and frozen objects are in no generation)."""
    new = {id(item) for item in gc.get_objects()} - before
    seen: set[int] = set()
    todo = [root]
    while todo:
        item = todo.pop()
        if id(item) in seen or id(item) not in new:
            continue
        seen.add(id(item))
        todo.extend(gc.get_referents(item))
    return len(seen)


HOSTILE_FAMILIES = [
    "{ companies { nodes { " + " ".join(f"nam{i}" for i in range(40)) + " } } }",  # invalid
    "{ " + " ".join(f"f{i}: __typename @skip(if: false)" for i in range(40)) + " }",
    "{ companies { nodes { " + "... on Company { projects { company { id } } } " * 30 + "} } }",
]


@pytest.mark.parametrize("query", QUERIES + HOSTILE_FAMILIES)
def test_the_object_estimate_is_not_below_what_an_entry_holds(query: str) -> None:
    before = {id(item) for item in gc.get_objects()}
    documents = PreparedDocuments(SCHEMA, max_bytes=1 << 24, default_ttl=60)
    entry = documents.prepare(query)
    entry.operation(None)
    assert 0 < _tracked_objects(entry, before) <= entry.objects
    assert documents.size_objects == entry.objects


def test_a_kept_document_keeps_no_token_and_frees_without_the_collector() -> None:
    documents = PreparedDocuments(SCHEMA, max_bytes=1 << 24, default_ttl=60)
    for query in QUERIES:
        entry = documents.prepare(query)
        assert entry.document is not None and entry.document.loc is not None
        assert entry.document.loc.start_token is None  # the token stream is dropped
    gc.collect()
    gc.disable()
    try:
        del entry, documents  # every entry goes; none may need the cycle collector
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_prechecks_and_normalization_leave_no_cycles() -> None:
    from app.config import Settings
    from app.documents.normalize import normalize_document
    from app.documents.precheck import budget_for, precheck_document

    budget = budget_for(Settings())
    query = "# a comment\n" + HOSTILE_FAMILIES[2]
    gc.collect()
    gc.disable()
    try:
        assert precheck_document(query, budget) is None
        assert normalize_document(query)
        assert gc.collect() == 0  # graphql-core's lexer links tokens both ways
    finally:
        gc.enable()


def test_the_store_is_bounded_in_objects() -> None:
    documents = PreparedDocuments(SCHEMA, max_bytes=1 << 30, default_ttl=60, max_objects=2000)
    for i in range(200):
        documents.prepare(f"{{ a{i}: __typename b{i}: __typename }}")
    assert 0 < documents.size_objects <= 2000
    assert 0 < len(documents) < 200
    assert sum(entry.objects for entry in documents._entries.values()) == documents.size_objects


def test_a_variant_of_a_known_document_is_kept_on_its_second_visit() -> None:
    documents = PreparedDocuments(SCHEMA, max_bytes=1 << 24, default_ttl=60)
    documents.prepare("{ companies(first: 1) { nodes { id } } }")
    variant = "# another comment\n{ companies(first: 1) { nodes { id } } }"
    first = documents.prepare(variant)
    assert first.valid and len(documents) == 1  # served, not kept
    second = documents.prepare(variant)
    assert second is not first and len(documents) == 2  # kept now
    assert documents.prepare(variant) is second
    assert (documents.parses, documents.validations) == (3, 1)


@pytest.mark.parametrize("enabled", [True, False])
def test_no_collection_runs_during_a_validation(
    monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    import app.documents.prepared as prepared_module

    seen: list[bool] = []
    original = prepared_module.validate_document

    def recording(*args: object) -> object:
        seen.append(gc.isenabled())
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(prepared_module, "validate_document", recording)
    (gc.enable if enabled else gc.disable)()
    try:
        assert (
            PreparedDocuments(SCHEMA, max_bytes=1 << 20, default_ttl=60)
            .prepare("{ __typename }")
            .valid
        )
        assert seen == [False]
        assert gc.isenabled() is enabled  # restored, and never switched on by us
    finally:
        gc.enable()


async def test_a_large_unseen_document_is_parsed_off_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    import app.documents.prepared as prepared_module

    threads: list[str] = []
    original = prepared_module.parse

    def recording(*args: object, **kwargs: object) -> object:
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(prepared_module, "parse", recording)
    documents = PreparedDocuments(SCHEMA, max_bytes=1 << 22, default_ttl=60)
    await documents.prepare_async("{ __typename }")
    await documents.prepare_async("{ " + "__typename " * 300 + "}")
    assert threads[0] == threading.current_thread().name != threads[1]


def test_a_pause_that_overlaps_another_does_not_extend_it() -> None:
    from app.documents.prepared import collector_paused

    first, second = collector_paused(), collector_paused()
    gc.enable()
    try:
        first.__enter__()
        second.__enter__()  # e.g. a worker thread's validation while the loop validates
        first.__exit__(None, None, None)
        assert gc.isenabled()  # back on when the first pause ends, not the last
        second.__exit__(None, None, None)
        assert gc.isenabled()
    finally:
        gc.enable()


def test_a_pause_forces_no_collection() -> None:
    """A forced young collection per validation reset the young count, so automatic
    collections (and with them every older generation's) never ran: a leak."""
    from app.documents.prepared import collector_paused

    collections: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.enable()
    gc.callbacks.append(record)
    try:
        with collector_paused():
            pass
    finally:
        gc.callbacks.remove(record)
    assert collections == []
