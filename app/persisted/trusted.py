"""Trusted documents: with a manifest configured, only the operations it lists run.

The manifest is Apollo's persisted query list format::

    {"format": "apollo-persisted-query-manifest", "version": 1,
     "operations": [{"id": "<sha256>", "name": "Q1", "type": "query", "body": "query Q1 ..."}]}

Clients send either the id (as ``extensions.persistedQuery.sha256Hash``) or the identical
body; anything else is refused before parsing.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import orjson

from app.errors import (
    PERSISTED_QUERY_MISMATCH,
    PERSISTED_QUERY_NOT_IN_LIST,
    QUERY_NOT_IN_SAFELIST,
)
from app.persisted.apq import persisted_hash
from app.protocol import Operation, RequestError

__all__ = ["MANIFEST_FORMAT", "ManifestError", "TrustedDocuments"]

MANIFEST_FORMAT = "apollo-persisted-query-manifest"


class ManifestError(ValueError):
    """The manifest file is not a valid persisted query list; the message says where."""


class TrustedDocuments:
    def __init__(self, bodies_by_id: dict[str, str]) -> None:
        self._by_id = dict(bodies_by_id)
        self._bodies = frozenset(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    @classmethod
    def load(cls, path: Path) -> TrustedDocuments:
        try:
            manifest = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as error:
            raise ManifestError(f"{path}: cannot read a JSON manifest ({error})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
            raise ManifestError(f"{path}: format must be {MANIFEST_FORMAT!r}")
        if manifest.get("version") != 1:
            raise ManifestError(f"{path}: only version 1 is supported")
        operations = manifest.get("operations")
        if not isinstance(operations, list):
            raise ManifestError(f"{path}: 'operations' must be a list")
        bodies: dict[str, str] = {}
        for index, operation in enumerate(operations):
            if not isinstance(operation, dict):
                raise ManifestError(f"{path}: operations[{index}] must be an object")
            op_id, body = operation.get("id"), operation.get("body")
            if not isinstance(op_id, str) or not op_id or not isinstance(body, str) or not body:
                raise ManifestError(f"{path}: operations[{index}] needs string 'id' and 'body'")
            if op_id in bodies and bodies[op_id] != body:
                raise ManifestError(f"{path}: id {op_id!r} is listed twice with different bodies")
            bodies[op_id] = body
        return cls(bodies)

    def resolve(self, request: Operation) -> Operation:
        """The request with its manifest body; RequestError for anything not listed."""
        digest = persisted_hash(request)
        if digest is not None and request.query is None:
            body = self._by_id.get(digest)
            if body is None:
                raise RequestError(
                    400,
                    "This operation is not in the trusted documents.",
                    PERSISTED_QUERY_NOT_IN_LIST,
                )
            return dataclasses.replace(request, query=body)
        if (
            digest is not None
            and request.query is not None
            and hashlib.sha256(request.query.encode()).hexdigest() != digest
        ):
            raise RequestError(
                400, "persistedQuery.sha256Hash does not match the query.", PERSISTED_QUERY_MISMATCH
            )
        if request.query is None or request.query not in self._bodies:
            raise RequestError(
                400, "Only trusted documents may run on this server.", QUERY_NOT_IN_SAFELIST
            )
        return request
