"""Cache keys: a sha256 over canonical bytes, identical in every process (never ``hash()``)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

import orjson

from app.auth import Viewer

__all__ = ["query_digest", "response_key", "tenant_scope"]

_DIGESTS: OrderedDict[str, bytes] = OrderedDict()
_DIGEST_MEMO_SIZE = 2048
_MEMO_MAX_QUERY_LENGTH = 16 * 1024


def query_digest(query: str) -> bytes:
    """sha256 of the query text, memoised (a client resends the same few texts).

    Only short texts are remembered: the memo holds the texts themselves, and a client
    must not be able to pin megabytes of them in memory.
    """
    digest = _DIGESTS.get(query)
    if digest is None:
        digest = hashlib.sha256(query.encode()).digest()
        if len(query) <= _MEMO_MAX_QUERY_LENGTH:
            _DIGESTS[query] = digest
            if len(_DIGESTS) > _DIGEST_MEMO_SIZE:
                _DIGESTS.popitem(last=False)
    return digest


def tenant_scope(viewer: Viewer | None) -> bytes:
    """What decides what a caller may see: role and companies (not who they are)."""
    if viewer is None:
        return b"anonymous"
    companies = (
        "*" if viewer.company_ids is None else ",".join(map(str, sorted(viewer.company_ids)))
    )
    return f"{viewer.role}|{companies}".encode()


def response_key(
    document: bytes | str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    viewer: Viewer | None,
    *,
    per_subject: bool,
) -> str:
    """Key of a response: operation, canonical variables, tenant scope (and subject if asked).

    ``document`` is the prepared document's digest, or the query text itself. Two callers
    with the same role and companies share entries; ``per_subject`` keeps answers that
    name the caller (``viewer``) apart.
    """
    hasher = hashlib.sha256(b"vanta-response-v1\0")
    hasher.update(document if isinstance(document, bytes) else query_digest(document))
    hasher.update(b"\0" + (operation_name or "").encode() + b"\0")
    hasher.update(orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS))
    hasher.update(b"\0" + tenant_scope(viewer))
    if per_subject and viewer is not None:
        hasher.update(b"\0" + viewer.subject.encode())
    return hasher.hexdigest()
