"""Stable error codes (``extensions.code``) and the exception that carries them to clients."""

from __future__ import annotations

from typing import Any

__all__ = [
    "BAD_REQUEST",
    "BAD_USER_INPUT",
    "BATCH_TOO_LARGE",
    "CONFLICT",
    "CSRF_BLOCKED",
    "EVENTS_DROPPED",
    "FORBIDDEN",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "INTERNAL_SERVER_ERROR",
    "METHOD_NOT_ALLOWED",
    "NOT_FOUND",
    "OPERATION_RESOLUTION_FAILURE",
    "PAYLOAD_TOO_LARGE",
    "PERSISTED_QUERY_MISMATCH",
    "PERSISTED_QUERY_NOT_FOUND",
    "PERSISTED_QUERY_NOT_IN_LIST",
    "PERSISTED_QUERY_NOT_SUPPORTED",
    "QUERY_NOT_IN_SAFELIST",
    "QUERY_TOO_COSTLY",
    "QUERY_TOO_DEEP",
    "RATE_LIMITED",
    "SELECTION_TOO_WIDE",
    "SERVICE_UNAVAILABLE",
    "TIMEOUT",
    "TOO_MANY_ALIASES",
    "TOO_MANY_CONNECTIONS",
    "TOO_MANY_DIRECTIVES",
    "TOO_MANY_FIELDS",
    "TOO_MANY_FRAGMENT_SPREADS",
    "TOO_MANY_SUBSCRIPTIONS",
    "TOO_MANY_TOKENS",
    "UNAUTHENTICATED",
    "UNSUPPORTED_MEDIA_TYPE",
    "ApiError",
    "bad_input",
    "forbidden",
    "not_found",
    "unauthenticated",
]

BAD_REQUEST = "BAD_REQUEST"  # the HTTP request itself is unusable (body, content type)
BAD_USER_INPUT = "BAD_USER_INPUT"  # an argument value is wrong (cursor, id, page size...)
CONFLICT = "CONFLICT"  # the change clashes with current state (duplicate, already done)
FORBIDDEN = "FORBIDDEN"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"  # unknown hash: resend with the query
PERSISTED_QUERY_MISMATCH = "PERSISTED_QUERY_MISMATCH"  # the hash is not the query's sha256
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"  # persistedQuery.version != 1
PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"  # trusted mode: unknown id
QUERY_NOT_IN_SAFELIST = "QUERY_NOT_IN_SAFELIST"  # trusted mode: a body not in the manifest
NOT_FOUND = "NOT_FOUND"
OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"  # operationName matches nothing
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
UNAUTHENTICATED = "UNAUTHENTICATED"
# Protection: abusive clients, hostile queries, slow dependencies.
BATCH_TOO_LARGE = "BATCH_TOO_LARGE"  # more operations in one array body than allowed
CSRF_BLOCKED = "CSRF_BLOCKED"  # a "simple" request a browser could send cross-site
QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"  # estimated resolved fields over the limit
QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
RATE_LIMITED = "RATE_LIMITED"
TIMEOUT = "TIMEOUT"  # execution or a SQL statement took longer than allowed
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
# Real-time: subscription limits, and a subscriber that fell behind (events were dropped).
TOO_MANY_CONNECTIONS = "TOO_MANY_CONNECTIONS"
TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
EVENTS_DROPPED = "EVENTS_DROPPED"
# Document prechecks (app/documents/precheck.py): bound validation's cost before it runs.
SELECTION_TOO_WIDE = "SELECTION_TOO_WIDE"  # one selection set holds too many selections
TOO_MANY_DIRECTIVES = "TOO_MANY_DIRECTIVES"
TOO_MANY_FIELDS = "TOO_MANY_FIELDS"  # fields in the whole document
TOO_MANY_FRAGMENT_SPREADS = "TOO_MANY_FRAGMENT_SPREADS"  # `...F` and `... on T` together

MSG_UNAUTHENTICATED = "Authentication required: send 'Authorization: Bearer <token>'."


class ApiError(Exception):
    """An error meant for the client: its message and code are shown as they are."""

    def __init__(self, message: str, code: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extensions = {"code": code, **extensions}


def bad_input(message: str, argument: str | None = None) -> ApiError:
    """Wrong argument value; ``argument`` names it so a client can point at the field."""
    if argument is None:
        return ApiError(message, BAD_USER_INPUT)
    return ApiError(message, BAD_USER_INPUT, argument=argument)


def forbidden(message: str = "You may not change this resource.") -> ApiError:
    return ApiError(message, FORBIDDEN)


def not_found(message: str) -> ApiError:
    return ApiError(message, NOT_FOUND)


def unauthenticated(message: str = MSG_UNAUTHENTICATED) -> ApiError:
    return ApiError(message, UNAUTHENTICATED)
