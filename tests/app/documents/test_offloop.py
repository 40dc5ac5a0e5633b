"""Parse + validation off the event loop: same answers as in place, in another thread."""

from __future__ import annotations

import threading
from typing import Any

from graphql import ValidationRule, parse, specified_rules, validate

from app.documents.offloop import parse_and_validate_off_loop, should_offload
from schema.build import build_schema

SCHEMA = build_schema()


def _thread_recorder(seen: list[int]) -> type[ValidationRule]:
    class RecordThread(ValidationRule):
        def enter_document(self, *_args: Any) -> None:
            seen.append(threading.get_ident())

    return RecordThread


async def test_validation_runs_in_another_thread_with_the_same_result() -> None:
    seen: list[int] = []
    query = "{ companies { nodes { id nope } } }"
    document, errors = await parse_and_validate_off_loop(
        SCHEMA._schema, query, [*SCHEMA.query_rules, _thread_recorder(seen)]
    )
    assert seen and seen[0] != threading.get_ident()
    expected = validate(SCHEMA._schema, parse(query), [*specified_rules, *SCHEMA.query_rules])
    assert document is not None
    assert [e.message for e in errors] == [e.message for e in expected]


async def test_syntax_errors_and_the_token_limit_come_back_as_errors() -> None:
    document, errors = await parse_and_validate_off_loop(SCHEMA._schema, "{ a(", max_tokens=100)
    assert document is None and len(errors) == 1
    document, errors = await parse_and_validate_off_loop(
        SCHEMA._schema, "{ " + "a " * 50 + "}", max_tokens=10
    )
    assert document is None and "tokens" in errors[0].message


def test_only_large_documents_are_offloaded() -> None:
    assert not should_offload("{ a }")
    assert should_offload("{ " + "a " * 2000 + "}")
