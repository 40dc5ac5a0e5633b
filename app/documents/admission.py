"""The pipeline's one call before parsing and validation: is this document cheap enough?

Wraps ``precheck_document`` with the limits of ``Settings`` and remembers the digests of
documents that passed (a client sends the same few documents again and again), so the
common case costs one sha256 instead of a lexer pass.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from functools import lru_cache

from app.config import Settings
from app.documents.precheck import DocumentBudget, precheck_document
from app.errors import ApiError

__all__ = ["admit_document", "budget_for"]

_PASSED_MEMO_SIZE = 4096  # 32-byte digests: about 0.5 MiB at most with the dict
_passed: OrderedDict[bytes, None] = OrderedDict()


@lru_cache(maxsize=8)
def budget_for(settings: Settings) -> DocumentBudget:
    """The precheck limits configured in ``settings`` (VANTA_MAX_SELECTIONS...)."""
    return DocumentBudget(
        max_selections=settings.max_selections,
        max_fields=settings.max_fields,
        max_fragment_spreads=settings.max_fragment_spreads,
        max_directives=settings.max_directives,
        max_tokens=settings.max_tokens,
    )


def admit_document(query: str | None, settings: Settings) -> ApiError | None:
    """The limit ``query`` exceeds (an ApiError with its code), or None to go on."""
    if not query:
        return None
    budget = budget_for(settings)
    key = hashlib.sha256(
        repr(budget).encode() + b"\0" + query.encode("utf-8", "surrogatepass")
    ).digest()
    if key in _passed:
        _passed.move_to_end(key)
        return None
    error = precheck_document(query, budget)
    if error is None:
        _passed[key] = None
        if len(_passed) > _PASSED_MEMO_SIZE:
            _passed.popitem(last=False)
    return error
