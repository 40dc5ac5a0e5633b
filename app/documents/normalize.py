"""A GraphQL document's normalized text and digest: the same operation, however it is
spaced, commented or comma'd, gets one key.

Clients and attackers can vary insignificant characters freely; a cache keyed by the raw
text is then defeated by a changed comment. The normalized text keeps every significant
token exactly as written (strings as their source slice, so escapes are untouched) and
puts one space only between two tokens that would otherwise merge (names and numbers).
"""

from __future__ import annotations

import hashlib

from graphql import GraphQLSyntaxError
from graphql.language import Lexer, Source, Token, TokenKind

__all__ = ["DocumentTooLong", "drop_back_links", "normalize_document", "normalized_digest"]

# Tokens that would run together without a separator: `a b`, `1 a`, `a 1`, `1 2`; and
# two strings, since `"" "x"` written as `"""x"` opens a block string.
_WORDS = frozenset({TokenKind.NAME, TokenKind.INT, TokenKind.FLOAT})
_STRINGS = frozenset({TokenKind.STRING, TokenKind.BLOCK_STRING})


def drop_back_links(token: Token) -> Token:
    """Clear ``prev`` on ``token`` and on every token before it still linked back; return it.

    graphql-core's lexer links tokens both ways, comments included, so every lexed text
    leaves a chain of cycles that only the garbage collector can free (one pass per
    request over the prechecks, the normalizer and the parser). Called on each token a
    lexer returns, the chain is singly linked: each token is freed by reference counting
    as soon as the lexer moves past it.
    """
    current: Token | None = token
    while current is not None and current.prev is not None:
        current.prev, current = None, current.prev
    return token


class DocumentTooLong(GraphQLSyntaxError):
    """More significant tokens than the caller allows; raised before reading the rest."""


def normalize_document(query: str, max_tokens: int | None = None) -> str:
    """``query`` without comments, commas and insignificant whitespace.

    Raises ``GraphQLSyntaxError`` when the text does not lex (the parser would refuse it
    anyway), ``DocumentTooLong`` past ``max_tokens`` significant tokens. Two documents
    with the same normalized text parse to the same AST.
    """
    source = Source(query)
    lexer = Lexer(source)
    parts: list[str] = []
    previous: TokenKind | None = None
    count = 0
    token = drop_back_links(lexer.advance())
    while token.kind is not TokenKind.EOF:
        count += 1
        if max_tokens is not None and count > max_tokens:
            raise DocumentTooLong(
                source, token.start, f"Document contains more than {max_tokens} tokens."
            )
        kind = token.kind
        if (previous in _WORDS and kind in _WORDS) or (previous in _STRINGS and kind in _STRINGS):
            parts.append(" ")
        parts.append(query[token.start : token.end])
        previous = kind
        token = drop_back_links(lexer.advance())
    return "".join(parts)


def normalized_digest(query: str, max_tokens: int | None = None) -> str:
    """sha256 hex of the normalized document: identical in every process.

    A text that does not lex (or is too long) is keyed by its raw bytes under another
    prefix, so it still has a stable key and never collides with a valid document.
    """
    try:
        material = b"n:" + normalize_document(query, max_tokens).encode("utf-8", "surrogatepass")
    except GraphQLSyntaxError:
        material = b"r:" + query.encode("utf-8", "surrogatepass")
    return hashlib.sha256(material).hexdigest()
