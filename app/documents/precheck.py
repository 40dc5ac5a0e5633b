"""Cheap limits read off the token stream before a document is parsed and validated.

graphql-core's validation is not linear: OverlappingFieldsCanBeMergedRule compares every
pair of same-named fields of a selection set (fragments included) and recurses into their
subselections, so 283 copies of ``projects { company { id } }`` — 1,990 tokens, under every
other limit — cost ~0.75 s on the event loop. These counts need one pass of the lexer and
no AST; with them bounded, no document that passes costs more than ~50 ms of validation on
the reference machine (``python -m bench.hostile`` measures it).

Counted: selections per selection set (fields, fragment spreads and inline fragments side
by side), fields in the whole document, fragment spreads and inline fragments (``...``),
and directives (``@``). A document that does not lex, or has more than ``max_tokens``
tokens, is left to the parser, which reports it with its own code.

Example::

    error = precheck_document(query, DocumentBudget(max_selections=50))
    if error is not None:
        ...  # answer 400 with error.code, nothing parsed or validated
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import GraphQLSyntaxError
from graphql.language import Lexer, Source, TokenKind

from app.config import Settings
from app.documents.normalize import drop_back_links
from app.errors import (
    SELECTION_TOO_WIDE,
    TOO_MANY_DIRECTIVES,
    TOO_MANY_FIELDS,
    TOO_MANY_FRAGMENT_SPREADS,
    ApiError,
)

__all__ = [
    "MSG_SELECTION_TOO_WIDE",
    "MSG_TOO_MANY_DIRECTIVES",
    "MSG_TOO_MANY_FIELDS",
    "MSG_TOO_MANY_SPREADS",
    "DocumentBudget",
    "budget_for",
    "precheck_document",
]

MSG_SELECTION_TOO_WIDE = "A selection set holds more than {limit} selections."
MSG_TOO_MANY_FIELDS = "The document selects more than {limit} fields."
MSG_TOO_MANY_SPREADS = "The document holds more than {limit} fragment spreads."
MSG_TOO_MANY_DIRECTIVES = "The document holds more than {limit} directives."


@dataclass(frozen=True, slots=True)
class DocumentBudget:
    """Limits of one document; the defaults are those of ``Settings``."""

    max_selections: int = 40  # per selection set
    max_fields: int = 200  # in the whole document
    max_fragment_spreads: int = 30  # `...Name` and `... on T` together
    max_directives: int = 50
    max_tokens: int | None = 2000  # past it the parser refuses (TOO_MANY_TOKENS)

    def __post_init__(self) -> None:
        for name in ("max_selections", "max_fields", "max_fragment_spreads", "max_directives"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


def budget_for(settings: Settings) -> DocumentBudget:
    """The precheck limits configured in ``settings`` (VANTA_MAX_SELECTIONS...)."""
    return DocumentBudget(
        max_selections=settings.max_selections,
        max_fields=settings.max_fields,
        max_fragment_spreads=settings.max_fragment_spreads,
        max_directives=settings.max_directives,
        max_tokens=settings.max_tokens,
    )


def precheck_document(query: str, budget: DocumentBudget) -> ApiError | None:
    """The first limit ``query`` exceeds as an ApiError (its code stable), else None.

    None also for text that does not lex or is over ``max_tokens``: the parser reports
    those. Linear in the length of the document; never raises on any input.
    """
    lexer = Lexer(Source(query))
    sets: list[int] = []  # selections so far in each open selection set, innermost last
    parens = 0  # inside arguments or variable definitions: braces there are object values
    fields = spreads = directives = tokens = 0
    previous = TokenKind.SOF
    type_condition_next = False  # `... on T`: T is a type, not a field
    max_tokens = budget.max_tokens
    try:
        token = drop_back_links(lexer.advance())
        while token.kind is not TokenKind.EOF:
            tokens += 1
            if max_tokens is not None and tokens > max_tokens:
                return None
            kind = token.kind
            if kind is TokenKind.PAREN_L:
                parens += 1
            elif kind is TokenKind.PAREN_R:
                parens = max(0, parens - 1)
            elif parens:
                pass
            elif kind is TokenKind.BRACE_L:
                sets.append(0)
            elif kind is TokenKind.BRACE_R:
                if sets:
                    sets.pop()
            elif kind is TokenKind.AT:
                directives += 1
                if directives > budget.max_directives:
                    return _error(
                        MSG_TOO_MANY_DIRECTIVES, budget.max_directives, TOO_MANY_DIRECTIVES
                    )
            elif kind is TokenKind.SPREAD and sets:
                spreads += 1
                if spreads > budget.max_fragment_spreads:
                    return _error(
                        MSG_TOO_MANY_SPREADS, budget.max_fragment_spreads, TOO_MANY_FRAGMENT_SPREADS
                    )
                sets[-1] += 1
                if sets[-1] > budget.max_selections:
                    return _error(MSG_SELECTION_TOO_WIDE, budget.max_selections, SELECTION_TOO_WIDE)
            elif kind is TokenKind.NAME and sets:
                if previous is TokenKind.SPREAD:
                    type_condition_next = token.value == "on"
                elif type_condition_next:
                    type_condition_next = False
                elif previous not in (TokenKind.AT, TokenKind.COLON):
                    # A field (or the alias of one: its name after the colon is skipped).
                    fields += 1
                    if fields > budget.max_fields:
                        return _error(MSG_TOO_MANY_FIELDS, budget.max_fields, TOO_MANY_FIELDS)
                    sets[-1] += 1
                    if sets[-1] > budget.max_selections:
                        return _error(
                            MSG_SELECTION_TOO_WIDE, budget.max_selections, SELECTION_TOO_WIDE
                        )
            previous = kind
            token = drop_back_links(lexer.advance())
    except GraphQLSyntaxError:
        return None
    return None


def _error(message: str, limit: int, code: str) -> ApiError:
    return ApiError(message.format(limit=limit), code, limit=limit)
