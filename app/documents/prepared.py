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
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
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
    size: int
    _schema: GraphQLSchema
    _default_ttl: int
    _fast: bool
    _operations: dict[str | None, PreparedOperation | None] = field(default_factory=dict)

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


class PreparedDocuments:
    """Prepared documents of one schema, an LRU of at most ``max_bytes`` (estimated).

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
        self._budget = budget
        self._entries: OrderedDict[bytes, PreparedDocument] = OrderedDict()
        self._valid: OrderedDict[str, None] = OrderedDict()  # normalized digests
        self.parses = 0
        self.validations = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def prepare(self, query: str) -> PreparedDocument:
        digest = document_digest(query)
        entry = self._hit(digest)
        if entry is None:
            entry = self._keep(self._prepare(digest, query))
        return entry

    async def prepare_async(self, query: str) -> PreparedDocument:
        """As ``prepare``; a large unseen document is validated in a worker thread."""
        digest = document_digest(query)
        entry = self._hit(digest)
        if entry is not None:
            return entry
        parsed = self._parse(digest, query)
        if isinstance(parsed, PreparedDocument):
            return self._keep(parsed)
        document, normalized = parsed
        if len(query) >= OFFLOAD_THRESHOLD_CHARACTERS:
            errors = await asyncio.to_thread(
                validate_document, self._graphql_schema, document, self._rules
            )
        else:
            errors = validate_document(self._graphql_schema, document, self._rules)
        return self._keep(self._validated(digest, query, document, normalized, errors))

    def _hit(self, digest: bytes) -> PreparedDocument | None:
        entry = self._entries.get(digest)
        if entry is not None:
            self._entries.move_to_end(digest)
        return entry

    def _keep(self, entry: PreparedDocument) -> PreparedDocument:
        entries = self._entries
        if entry.digest in entries:  # prepared meanwhile (off the loop, twice)
            return entries[entry.digest]
        if entry.size <= self._max_bytes:
            entries[entry.digest] = entry
            self._bytes += entry.size
            while self._bytes > self._max_bytes:
                _, evicted = entries.popitem(last=False)
                self._bytes -= evicted.size
        return entry

    def _prepare(self, digest: bytes, query: str) -> PreparedDocument:
        parsed = self._parse(digest, query)
        if isinstance(parsed, PreparedDocument):
            return parsed
        document, normalized = parsed
        errors = validate_document(self._graphql_schema, document, self._rules)
        return self._validated(digest, query, document, normalized, errors)

    def _parse(self, digest: bytes, query: str) -> PreparedDocument | tuple[DocumentNode, str]:
        """A finished entry (refused, unparsable, or known valid), else what to validate:
        the document and its normalized digest."""
        small = ENTRY_OVERHEAD_BYTES + len(query)
        if self._budget is not None:
            refusal = precheck_document(query, self._budget)
            if refusal is not None:
                return self._entry(digest, None, refusal, None, [], small)
        self.parses += 1
        try:
            document = parse(query, max_tokens=self._max_tokens)
        except GraphQLError as error:
            return self._entry(digest, None, None, error, [], small)
        normalized = normalized_digest(query, self._max_tokens)
        if normalized in self._valid:  # the same document validated before
            self._valid.move_to_end(normalized)
            return self._entry(digest, document, None, None, [], self._size(query))
        return document, normalized

    def _validated(
        self,
        digest: bytes,
        query: str,
        document: DocumentNode,
        normalized: str,
        errors: list[GraphQLError],
    ) -> PreparedDocument:
        self.validations += 1
        if not errors:
            self._valid[normalized] = None
            if len(self._valid) > VALID_MEMO_SIZE:
                self._valid.popitem(last=False)
        return self._entry(digest, document, None, None, errors, self._size(query))

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
    ) -> PreparedDocument:
        return PreparedDocument(
            digest,
            document,
            refusal,
            syntax_error,
            errors,
            size,
            self._graphql_schema,
            self._default_ttl,
            self._fast,
        )
