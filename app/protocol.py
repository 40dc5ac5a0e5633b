"""What every transport hands the pipeline, and how a request is refused: the bottom layer.

An ``Operation`` is one GraphQL operation as the client sent it (query text or a persisted
hash, variables, operation name, extensions), whatever carried it: a POST or GET body, a
multipart upload, a WebSocket ``subscribe`` or an SSE request. ``RequestError`` is a request
that cannot be executed at all; the encoding stage turns it into a GraphQL-shaped answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Operation", "RequestError"]


@dataclass(frozen=True, slots=True)
class Operation:
    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


class RequestError(Exception):
    """A request that cannot be executed at all; becomes a 4xx GraphQL-shaped response."""

    def __init__(self, status: int, message: str, code: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}
