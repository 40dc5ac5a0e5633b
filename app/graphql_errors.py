"""Turn GraphQL errors into the JSON clients see: a stable code and the request id on every
error, and unexpected exceptions masked behind that id, which also appears in the log."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError

from app.errors import (
    BAD_USER_INPUT,
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    INTERNAL_SERVER_ERROR,
    TOO_MANY_TOKENS,
    ApiError,
)

__all__ = ["MSG_INTERNAL", "format_error", "format_errors"]

log = logging.getLogger("vanta.errors")

MSG_INTERNAL = "Internal server error."
# graphql-core's parser message when ``max_tokens`` stops it.
_TOKENS_EXCEEDED = "tokens. Parsing aborted."


def format_errors(errors: list[GraphQLError], request_id: str) -> list[dict[str, Any]]:
    return [format_error(error, request_id) for error in errors]


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """The spec's error shape with ``extensions.code`` and ``requestId``; internals never leak."""
    shaped = _format(error, request_id)
    shaped["extensions"].setdefault("requestId", request_id)
    return shaped


def _format(error: GraphQLError, request_id: str) -> dict[str, Any]:
    original = error.original_error
    if isinstance(original, ApiError):
        return _shape(error, original.message, dict(original.extensions))
    if isinstance(error, GraphQLSyntaxError):
        code = TOO_MANY_TOKENS if _TOKENS_EXCEEDED in error.message else GRAPHQL_PARSE_FAILED
        return _shape(error, error.message, {"code": code})
    if original is None and error.extensions and "code" in error.extensions:
        return _shape(error, error.message, dict(error.extensions))  # e.g. query limit rules
    if original is None:
        code = (
            BAD_USER_INPUT if error.message.startswith("Variable '$") else GRAPHQL_VALIDATION_FAILED
        )
        return _shape(error, error.message, {"code": code})
    if isinstance(original, GraphQLError):  # e.g. a scalar rejecting an argument literal
        return _shape(error, error.message, {"code": BAD_USER_INPUT})
    log.error(
        "unexpected error in %s (request %s)",
        ".".join(str(p) for p in error.path or ()) or "operation",
        request_id,
        exc_info=original,
    )
    return _shape(error, MSG_INTERNAL, {"code": INTERNAL_SERVER_ERROR, "requestId": request_id})


def _shape(error: GraphQLError, message: str, extensions: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {"message": message}
    if error.locations:
        shaped["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path is not None:
        shaped["path"] = list(error.path)
    shaped["extensions"] = extensions
    return shaped
