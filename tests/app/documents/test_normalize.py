"""The normalized document: insignificant characters gone, meaning kept exactly."""

from __future__ import annotations

import pytest
from graphql import GraphQLSyntaxError, parse, print_ast
from hypothesis import given, settings
from hypothesis import strategies as st

from app.documents.normalize import DocumentTooLong, normalize_document, normalized_digest

QUERY = """
# a comment the cache must not see
query Q($a: Int = 1, $b: String = "x, y  # not a comment") {
  a: documents(first: 1, filter: {tag: "t"}) @skip(if: false) { nodes { ...F, id } }
}
fragment F on Document { filename, uploadedAt }
"""


def test_comments_commas_and_whitespace_are_dropped() -> None:
    assert normalize_document(QUERY) == (
        'query Q($a:Int=1$b:String="x, y  # not a comment"){a:documents(first:1 '
        'filter:{tag:"t"})@skip(if:false){nodes{...F id}}}fragment F on Document'
        "{filename uploadedAt}"
    )


def test_same_operation_spelled_differently_has_one_digest() -> None:
    respaced = (
        QUERY.replace("\n", "\n\n  ").replace(" {", "\t,{ # x\n").replace("(first: 1,", "(first:1")
        + "# trailing"
    )
    assert normalized_digest(respaced) == normalized_digest(QUERY)
    assert normalized_digest(QUERY.replace("uploadedAt", "id")) != normalized_digest(QUERY)


def test_strings_keep_their_escapes_and_do_not_merge() -> None:
    query = '{ f(a: ["" "x" """b\\"""c""" "\\u00e9\\n"]) }'
    normalized = normalize_document(query)
    assert '"\\u00e9\\n"' in normalized
    assert print_ast(parse(normalized)) == print_ast(parse(query))


def test_text_that_does_not_lex_still_gets_a_stable_distinct_key() -> None:
    with pytest.raises(GraphQLSyntaxError):
        normalize_document('{ f(a: "unterminated) }')
    assert normalized_digest("{ f(a: 1a) }") == normalized_digest("{ f(a: 1a) }")
    assert normalized_digest("{ f(a: 1a) }") != normalized_digest("{ f(a: 1 a) }")


def test_token_limit_stops_reading() -> None:
    with pytest.raises(DocumentTooLong):
        normalize_document("{ " + "a " * 100 + "}", max_tokens=50)
    assert normalize_document("{ a }", max_tokens=3) == "{a}"


_pieces = st.sampled_from(
    ["{", "}", "(", ")", "[", "]", ":", "$v", "...", "on", "F", "a", "b1", "1", "-2",
     "1.5e3", '""', '"x"', '"""blk"""', "@skip", "=", ",", "#c\n", "\n", " ", "!", "|", "&"]
)  # fmt: skip


@settings(max_examples=400, database=None, deadline=None)
@given(st.lists(_pieces, max_size=30).map(" ".join) | st.text(max_size=40))
def test_normalized_text_parses_to_the_same_document(text: str) -> None:
    try:
        expected = print_ast(parse(text))
    except GraphQLSyntaxError:
        return
    normalized = normalize_document(text)
    assert print_ast(parse(normalized)) == expected
    assert normalize_document(normalized) == normalized
