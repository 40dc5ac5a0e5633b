"""The prepared-document stage: each document parsed, validated and planned once.

A ``PreparedDocument`` keeps, per document digest, everything later stages read off the
text: the AST (stock execution takes it instead of parsing again), the validation result
under the schema's rules (query limits included), and per operation name the operation
node and type, the response-cache policy and the fast path's operation and plans. The
store is an LRU bounded in bytes; a hit costs one sha256 and one dict lookup, a miss one
parse and one validation, whatever stages then run.

A miss is bounded before it is parsed: the prechecks (precheck.py) refuse documents whose
validation could be slow, a document whose *normalized* text (comments and insignificant
whitespace removed, normalize.py) already validated is not validated again (a changed
comment does not buy a new validation), and ``prepare_async`` moves the parse and
validation of a large unseen document off the event loop. Entries stay keyed by the exact
text, so every error location is the client's own.

The store is bounded in garbage-collector objects as well as bytes, and what it keeps is
cheap for the collector (``compact``): every full collection walks every object the store
holds, so under a stream of unseen large documents 32 MiB of ASTs (about 170,000 objects)
made each one a 200 ms pause of the event loop. A parsed document keeps the lexer's whole
token stream (each ``Location`` points at its first and last token, and tokens are a
doubly linked list); nothing reads those tokens after parsing (errors use ``loc.start``
and ``loc.source``), so they are dropped: a third fewer objects, and an evicted AST holds
no cycle, so reference counting frees it at once instead of the next full collection.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    Node,
    OperationDefinitionNode,
    OperationType,
    parse,
    specified_rules,
)
from graphql.validation.rules.values_of_correct_type import ValuesOfCorrectTypeRule
from strawberry import Schema
from strawberry.schema.schema import validate_document

from app.cache.policy import CachePolicy, policy_of
from app.documents.normalize import normalized_digest
from app.documents.precheck import DocumentBudget, precheck_document
from app.errors import ApiError
from app.fastpath import schema_supported
from app.fastpath.compat import graphql_schema_of
from app.fastpath.operation import FastOperation, fast_operation
from schema.build import VantaSchema
from schema.literals import NamedValuesOfCorrectTypeRule

__all__ = [
    "AST_BYTES_PER_CHARACTER",
    "ENTRY_OBJECTS",
    "ERROR_OBJECTS",
    "PreparedDocument",
    "PreparedDocuments",
    "PreparedOperation",
    "document_digest",
]

# Measured: a parsed document with locations holds about this many bytes per character of
# its text (tests/app/documents/test_prepared.py keeps the estimate honest); plans and
# validation results are small beside it.
AST_BYTES_PER_CHARACTER = 160
ENTRY_OVERHEAD_BYTES = 2048
OPERATIONS_PER_DOCUMENT = 8
# An unseen document this long or longer is validated in a worker thread, so the loop keeps
# answering meanwhile; below it the thread hop costs more than validation (a 1 KiB document
# validates in well under a millisecond unless it is built to be slow).
OFFLOAD_THRESHOLD_CHARACTERS = 2048
VALID_MEMO_SIZE = 8192  # normalized digests of documents that validated (64 bytes each)
SEEN_MEMO_SIZE = 8192  # digests of texts met once and not kept yet (32 bytes each)
# Garbage-collector objects an entry holds besides its AST's nodes, locations and tuples
# (the entry, its operations and policies, the fast path's operation and plans), and per
# validation error (the error, its lists of nodes, positions and locations); measured,
# and tests/app/documents/test_prepared.py keeps them honest.
ENTRY_OBJECTS = 64
# The default object bound: with about 25,000 objects of its own after start-up, a worker
# then holds under ~75,000 that a full collection walks (~50 ms on a loaded 2-core box).
DEFAULT_MAX_OBJECTS = 50_000
ERROR_OBJECTS = 8


def compact(document: DocumentNode) -> int:
    """Drop the token stream ``document`` keeps; return how many GC objects it still holds.

    Each ``Location`` keeps its first and last ``Token``, and tokens link to their
    neighbours both ways, so an AST holds every token of its text, in cycles. Errors read
    only ``loc.start``, ``loc.end`` and ``loc.source``; without the tokens an AST is a
    tree of nodes, locations and tuples that reference counting frees on its own.
    """
    root = document.loc
    if root is not None:  # unlink the chain first, so it is freed as soon as it is dropped
        token = root.start_token
        while token is not None:
            token.prev = None
            token = token.next
    objects = 0
    stack: list[Node] = [document]
    while stack:
        node = stack.pop()
        objects += 1
        loc = node.loc
        if loc is not None:
            objects += 1
            loc.start_token = loc.end_token = None  # type: ignore[assignment]
        for name in _child_fields(type(node)):
            value = getattr(node, name)
            if isinstance(value, Node):
                stack.append(value)
            elif isinstance(value, tuple) and value:
                objects += 1
                stack.extend(item for item in value if isinstance(item, Node))
    return objects


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
_PAUSE_LOCK = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection while the body runs (a validation: ~50 ms at most).

    graphql-core's validation leaves thousands of objects in reference cycles (each rule's
    visitor caches bound methods of itself). Collections during a validation find them
    alive and promote them, so they die in the oldest generation, and each full
    collection then spent 50-180 ms freeing them on the event loop. With the collector
    paused they are still young when the body ends, and the next young collection frees
    them. No collection is forced here: ``gc.collect(0)`` resets the young generation's
    count, so with one validation per request and a young threshold above a request's
    allocations (app/server.py sets 20,000) no automatic collection ever ran, the older
    generations were never collected, and a soak's RSS grew 2 KiB per request. Only the
    caller that switched the collector off switches it
    back on: a validation that starts during another's pause does not extend it (with two
    clients validating back to back, a pause held until the last one left kept the
    collector off for seconds, and the young collection after it took a second). A
    collector that was already off stays off.
    """
    with _PAUSE_LOCK:
        owner = gc.isenabled()
        if owner:
            gc.disable()
    try:
        yield
    finally:
        if owner:
            with _PAUSE_LOCK:
                gc.enable()


def _child_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node class that can hold nodes (all but ``loc``), computed once."""
    try:
        return _CHILD_FIELDS[kind]
    except KeyError:
        names = tuple(f.name for f in dataclasses.fields(kind) if f.name != "loc")
        _CHILD_FIELDS[kind] = names
        return names


def document_digest(query: str) -> bytes:
    """sha256 of the document text: the same in every process (never ``hash()``)."""
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True, slots=True)
class PreparedOperation:
    """One operation name's view of a document that parsed."""

    type: OperationType  # what Strawberry would check against the method
    node: OperationDefinitionNode | None  # the unique operation; None when ambiguous
    policy: CachePolicy
    fast: FastOperation | None  # None: stock execution runs it


@dataclass(slots=True)
class PreparedDocument:
    digest: bytes
    document: DocumentNode | None
    refusal: ApiError | None  # a precheck limit the text exceeds (nothing was parsed)
    syntax_error: GraphQLError | None
    validation_errors: list[GraphQLError]
    size: int  # estimated bytes
    objects: int  # garbage-collector objects held (estimated from above)
    _schema: GraphQLSchema
    _default_ttl: int
    _fast: bool
    _operations: dict[str | None, PreparedOperation | None] = field(default_factory=dict)
    # Another text of a normalized form that validated before: kept the second time (_keep).
    _variant: bool = False

    @property
    def valid(self) -> bool:
        return self.refusal is None and self.syntax_error is None and not self.validation_errors

    def operation(self, name: str | None) -> PreparedOperation | None:
        """The operation ``name`` selects (None: the first), None when there is none."""
        try:
            return self._operations[name]
        except KeyError:
            prepared = self._prepare_operation(name)
            if len(self._operations) < OPERATIONS_PER_DOCUMENT:
                self._operations[name] = prepared
            return prepared

    def _prepare_operation(self, name: str | None) -> PreparedOperation | None:
        assert self.document is not None
        operations = [
            d for d in self.document.definitions if isinstance(d, OperationDefinitionNode)
        ]
        if name is None:
            picked = operations[0] if operations else None
            unique = operations[0] if len(operations) == 1 else None
        else:
            picked = next((o for o in operations if o.name and o.name.value == name), None)
            unique = picked
        if picked is None:
            return None
        fast = None
        if self._fast and unique is not None and self.valid:
            fast = fast_operation(self._schema, self.document, unique)
        return PreparedOperation(
            picked.operation,
            unique,
            policy_of(self.document, unique, self._default_ttl),
            fast,
        )


# What reading a text gives: a finished entry, or the document, its normalized digest and
# its objects.
_Read = PreparedDocument | tuple[DocumentNode, str, int]


class PreparedDocuments:
    """Prepared documents of one schema, an LRU of at most ``max_bytes`` (estimated) and
    ``max_objects`` garbage-collector objects (each full collection walks them all).

    ``parses`` counts the documents parsed so far: the pipeline parses each document
    once, and never again while it stays here.
    """

    def __init__(
        self,
        schema: Schema,
        *,
        max_bytes: int,
        default_ttl: int,
        budget: DocumentBudget | None = None,
        max_objects: int | None = None,
    ) -> None:
        self._schema = schema
        self._graphql_schema = graphql_schema_of(schema)
        # A VantaSchema carries its query limits; any other schema applies its own
        # extensions' limits during stock execution (and has no fast path).
        limited = isinstance(schema, VantaSchema)
        # Literal errors name their argument (schema.literals) instead of the stock rule.
        rules = [
            NamedValuesOfCorrectTypeRule if rule is ValuesOfCorrectTypeRule else rule
            for rule in specified_rules
        ]
        self._rules = (*rules, *(schema.query_rules if limited else ()))
        self._max_tokens = schema.max_tokens if limited else None
        self._fast = schema_supported(schema)
        self._default_ttl = default_ttl
        self._max_bytes = max_bytes
        self._bytes = 0
        self._max_objects = DEFAULT_MAX_OBJECTS if max_objects is None else max_objects
        self._objects = 0
        self._budget = budget
        self._entries: OrderedDict[bytes, PreparedDocument] = OrderedDict()
        self._valid: OrderedDict[str, None] = OrderedDict()  # normalized digests
        self._seen: OrderedDict[bytes, None] = OrderedDict()  # the doorkeeper (_keep)
        self.parses = 0
        self.validations = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    @property
    def size_objects(self) -> int:
        """Garbage-collector objects the entries hold (an upper estimate)."""
        return self._objects

    def prepare(self, query: str) -> PreparedDocument:
        digest = document_digest(query)
        entry = self._hit(digest)
        if entry is None:
            entry = self._keep(self._finish(digest, query, *self._read(digest, query)))
        return entry

    async def prepare_async(self, query: str) -> PreparedDocument:
        """As ``prepare``; a large unseen document is read and validated in a worker
        thread (prechecks, parse and normalization are linear, but on a loaded machine a
        few milliseconds each, and the loop holds every other request meanwhile)."""
        digest = document_digest(query)
        entry = self._hit(digest)
        if entry is not None:
            return entry
        if len(query) >= OFFLOAD_THRESHOLD_CHARACTERS:
            read, errors = await asyncio.to_thread(self._read, digest, query)
        else:
            read, errors = self._read(digest, query)
        return self._keep(self._finish(digest, query, read, errors))

    def _hit(self, digest: bytes) -> PreparedDocument | None:
        entry = self._entries.get(digest)
        if entry is not None:
            self._entries.move_to_end(digest)
        return entry

    def _keep(self, entry: PreparedDocument) -> PreparedDocument:
        """Store ``entry`` if it is worth it, evicting the least recently used.

        A text whose normalized form validated before (the same document with other
        comments or spacing) is stored the second time it arrives: an attacker's stream
        of unique variants then never churns the store, while a client that repeats such
        a text pays one extra parse. Everything else is stored at once (an invalid text
        too: it is parsed once, however often it comes back).
        """
        entries = self._entries
        digest = entry.digest
        if digest in entries:  # prepared meanwhile (off the loop, twice)
            return entries[digest]
        if entry._variant:
            seen = self._seen
            if digest not in seen:
                seen[digest] = None
                if len(seen) > SEEN_MEMO_SIZE:
                    seen.popitem(last=False)
                return entry
            del seen[digest]
        if entry.size <= self._max_bytes and entry.objects <= self._max_objects:
            entries[entry.digest] = entry
            self._bytes += entry.size
            self._objects += entry.objects
            while self._bytes > self._max_bytes or self._objects > self._max_objects:
                _, evicted = entries.popitem(last=False)
                self._bytes -= evicted.size
                self._objects -= evicted.objects
        return entry

    def _read(self, digest: bytes, query: str) -> tuple[_Read, list[GraphQLError] | None]:
        """Prechecks, parse, compaction, normalized digest and, unless the normalized form
        is known valid, validation. It writes nothing shared (a worker thread may run it
        while the loop serves others): ``_finish`` does the bookkeeping."""
        small = ENTRY_OVERHEAD_BYTES + len(query)
        if self._budget is not None:
            refusal = precheck_document(query, self._budget)
            if refusal is not None:
                return self._entry(digest, None, refusal, None, [], small), None
        try:
            document = parse(query, max_tokens=self._max_tokens)
        except GraphQLError as error:
            return self._entry(digest, None, None, error, [], small), None
        ast_objects = compact(document)
        normalized = normalized_digest(query, self._max_tokens)
        read = (document, normalized, ast_objects)
        if normalized in self._valid:  # the same document validated before
            return read, None
        return read, self._validate(document)

    def _finish(
        self, digest: bytes, query: str, read: _Read, errors: list[GraphQLError] | None
    ) -> PreparedDocument:
        """The entry for what ``_read`` found, counting parses and validations."""
        if isinstance(read, PreparedDocument):  # refused (never parsed), or unparsable
            self.parses += read.syntax_error is not None
            return read
        self.parses += 1
        document, normalized, ast_objects = read
        if errors is None:  # a variant of a document that validated before
            if normalized in self._valid:
                self._valid.move_to_end(normalized)
            entry = self._entry(digest, document, None, None, [], self._size(query), ast_objects)
            entry._variant = True
            return entry
        return self._validated(digest, query, document, normalized, ast_objects, errors)

    def _validate(self, document: DocumentNode) -> list[GraphQLError]:
        with collector_paused():
            return validate_document(self._graphql_schema, document, self._rules)

    def _validated(
        self,
        digest: bytes,
        query: str,
        document: DocumentNode,
        normalized: str,
        ast_objects: int,
        errors: list[GraphQLError],
    ) -> PreparedDocument:
        self.validations += 1
        if not errors:
            self._valid[normalized] = None
            if len(self._valid) > VALID_MEMO_SIZE:
                self._valid.popitem(last=False)
        return self._entry(digest, document, None, None, errors, self._size(query), ast_objects)

    @staticmethod
    def _size(query: str) -> int:
        return ENTRY_OVERHEAD_BYTES + AST_BYTES_PER_CHARACTER * len(query)

    def _entry(
        self,
        digest: bytes,
        document: DocumentNode | None,
        refusal: ApiError | None,
        syntax_error: GraphQLError | None,
        errors: list[GraphQLError],
        size: int,
        ast_objects: int = 0,
    ) -> PreparedDocument:
        objects = ENTRY_OBJECTS + ast_objects + ERROR_OBJECTS * len(errors)
        if syntax_error is not None or refusal is not None:
            objects += ERROR_OBJECTS
        return PreparedDocument(
            digest,
            document,
            refusal,
            syntax_error,
            errors,
            size,
            objects,
            self._graphql_schema,
            self._default_ttl,
            self._fast,
        )
