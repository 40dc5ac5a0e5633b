"""Document prechecks: each limit has its code, counts what it says, and runs before
validation; ordinary documents (Q1, Q2, GraphiQL's introspection) pass."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import get_introspection_query

from app.documents.precheck import DocumentBudget, precheck_document
from tests.conftest import Api, make_token

# The reproduction of issue 14: under every older limit, ~0.75 s of validation.
STALLING = "{ companies(first: 1) { nodes { " + "projects { company { id } } " * 283 + "} } }"
Q1 = """query Q1 { documents(first: 100, filter: {companyId: "1"}) { nodes { id filename
  documentType category status fileSize uploadedAt company { id name }
  metadata { tags classification invoiceNumber vendorName totalAmount currency } } } }"""


def _code(query: str, **limits: Any) -> str | None:
    error = precheck_document(query, DocumentBudget(max_tokens=None, **limits))
    return None if error is None else error.code


def test_ordinary_documents_pass() -> None:
    for query in (Q1, get_introspection_query(descriptions=True), "{ __typename }"):
        assert _code(query) is None, query


def test_selections_per_set_count_fields_spreads_and_inline_fragments() -> None:
    assert _code("{ a b c }", max_selections=3) is None
    assert _code("{ a b c d }", max_selections=3) == "SELECTION_TOO_WIDE"
    assert _code("{ a ...F ... on Q { b } }", max_selections=2) == "SELECTION_TOO_WIDE"
    # One field per name, whatever its alias, arguments, object values and directives.
    assert _code("{ x: a(f: {b: 1, c: [2]}) @skip(if: false) { d } }", max_selections=1) is None
    # Nested sets are counted each on their own.
    assert _code("{ a { b c } d { e f } }", max_selections=2) is None


def test_fields_in_the_whole_document() -> None:
    assert _code("{ a { b { c } } }", max_fields=3) is None
    assert _code("{ a { b { c } } } fragment F on Q { d }", max_fields=3) == "TOO_MANY_FIELDS"
    # Type conditions, fragment names and directive names are not fields.
    assert (
        _code("{ ... on Q @include(if: true) { a } ...F } fragment F on Q { b }", max_fields=2)
        is None
    )


def test_fragment_spreads_and_directives() -> None:
    assert _code("{ ...A ...B ... on Q { a } }", max_fragment_spreads=2) == (
        "TOO_MANY_FRAGMENT_SPREADS"
    )
    assert _code("{ a @x b @y @z }", max_directives=2) == "TOO_MANY_DIRECTIVES"
    assert _code("query($v: Int @d) { a @x }", max_directives=2) is None


def test_the_stalling_document_is_refused() -> None:
    assert _code(STALLING) == "SELECTION_TOO_WIDE"


@pytest.mark.parametrize("text", ["", "{", '{ a(b: "', "}}}}", "\x00", "{ a } } } { {", "\ud800"])
def test_text_that_does_not_lex_or_nest_is_left_to_the_parser(text: str) -> None:
    assert _code(text) is None


def test_bad_limits_fail_in_the_constructor() -> None:
    with pytest.raises(ValueError, match="max_fields"):
        DocumentBudget(max_fields=0)


async def test_over_http_the_stalling_document_is_refused_before_validation(api: Api) -> None:
    token = make_token("viewer", [1])
    # An unknown field too: validation would report it if it ran.
    query = STALLING.replace("nodes {", "nodes { nope")
    status, body, _ = await api.post(query, token=token)
    assert status == 200  # a request error, answered as application/json
    assert [e["extensions"]["code"] for e in body["errors"]] == ["SELECTION_TOO_WIDE"]
    assert "data" not in body


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ " + " ".join(f"a{i}: __typename" for i in range(25)) + " }", None),
        ("{ " + " ".join(f"a{i}: __typename" for i in range(41)) + " }", "SELECTION_TOO_WIDE"),
        (
            "{ "
            + " ".join("__typename @skip(if: false) @include(if: true)" for _ in range(26))
            + " }",
            "TOO_MANY_DIRECTIVES",
        ),
    ],
)
async def test_over_http_each_limit_answers_with_its_code(
    api: Api, query: str, code: str | None
) -> None:
    status, body, _ = await api.post(query)
    if code is None:
        assert status == 200 and "errors" not in body, body
    else:
        assert status == 200 and "data" not in body  # a request error, as JSON
        assert [e["extensions"]["code"] for e in body["errors"]] == [code]
