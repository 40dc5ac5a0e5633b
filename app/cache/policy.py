"""Whether and for how long an operation's response may be cached, read off its document."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)

from app.cache.keys import query_digest

__all__ = ["FIELD_TTL_SECONDS", "PER_SUBJECT_FIELDS", "CachePolicy", "policy_for"]

# Per-field TTL hints (seconds); the smallest TTL among the selected fields wins.
FIELD_TTL_SECONDS = {
    "systemMetrics": 0,  # live process figures: never cached
    "documentStatistics": 10,
    "financialSummary": 30,
}
# Fields whose answer depends on who the caller is, not only on what they may see.
PER_SUBJECT_FIELDS = frozenset({"viewer"})


@dataclass(frozen=True, slots=True)
class CachePolicy:
    cacheable: bool
    ttl: int
    per_subject: bool = False


_NOT_CACHEABLE = CachePolicy(cacheable=False, ttl=0)
_POLICIES: OrderedDict[tuple[bytes, str | None, int], CachePolicy] = OrderedDict()
_POLICY_MEMO_SIZE = 1024


def policy_for(
    query: str, operation_name: str | None, default_ttl: int, max_tokens: int | None = None
) -> CachePolicy:
    """The policy of the named operation; unparsable or non-query operations are not cached.

    ``max_tokens`` bounds the parse like execution's own limit, so an oversized document
    costs no more here than it does when execution refuses it.
    """
    memo_key = (query_digest(query), operation_name, default_ttl)
    policy = _POLICIES.get(memo_key)
    if policy is None:
        policy = _compute(query, operation_name, default_ttl, max_tokens)
        _POLICIES[memo_key] = policy
        if len(_POLICIES) > _POLICY_MEMO_SIZE:
            _POLICIES.popitem(last=False)
    return policy


def _compute(
    query: str, operation_name: str | None, default_ttl: int, max_tokens: int | None
) -> CachePolicy:
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return _NOT_CACHEABLE
    operation = _operation(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return _NOT_CACHEABLE
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    names: set[str] = set()
    _collect(operation.selection_set, fragments, names, set())
    ttl = min([default_ttl, *(FIELD_TTL_SECONDS[n] for n in names if n in FIELD_TTL_SECONDS)])
    if ttl <= 0:
        return _NOT_CACHEABLE
    return CachePolicy(cacheable=True, ttl=ttl, per_subject=bool(names & PER_SUBJECT_FIELDS))


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def _collect(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    names: set[str],
    seen_fragments: set[str],
) -> None:
    """Every field name selected anywhere (regardless of @skip/@include: conservative)."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
            _collect(selection.selection_set, fragments, names, seen_fragments)
        elif isinstance(selection, InlineFragmentNode):
            _collect(selection.selection_set, fragments, names, seen_fragments)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name not in seen_fragments and name in fragments:
                seen_fragments.add(name)
                _collect(fragments[name].selection_set, fragments, names, seen_fragments)
