"""Whether and for how long an operation's response may be cached, read off its document."""

from __future__ import annotations

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

__all__ = [
    "FIELD_TTL_SECONDS",
    "NOT_CACHEABLE",
    "PER_SUBJECT_FIELDS",
    "CachePolicy",
    "policy_for",
    "policy_of",
]

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


NOT_CACHEABLE = CachePolicy(cacheable=False, ttl=0)


def policy_of(
    document: DocumentNode, operation: OperationDefinitionNode | None, default_ttl: int
) -> CachePolicy:
    """The policy of ``operation`` in ``document``; only query operations are cached."""
    if operation is None or operation.operation is not OperationType.QUERY:
        return NOT_CACHEABLE
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    names: set[str] = set()
    _collect(operation.selection_set, fragments, names, set())
    ttl = min([default_ttl, *(FIELD_TTL_SECONDS[n] for n in names if n in FIELD_TTL_SECONDS)])
    if ttl <= 0:
        return NOT_CACHEABLE
    return CachePolicy(cacheable=True, ttl=ttl, per_subject=bool(names & PER_SUBJECT_FIELDS))


def policy_for(
    query: str, operation_name: str | None, default_ttl: int, max_tokens: int | None = None
) -> CachePolicy:
    """The policy of the named operation of a query text; unparsable texts are not cached.

    The pipeline reads policies off prepared documents (``policy_of``); this parses.
    """
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return NOT_CACHEABLE
    return policy_of(document, _operation(document, operation_name), default_ttl)


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
