"""Stock execution reads the prepared document instead of parsing and validating again.

The pipeline parses and validates each document once (app.documents.prepared) and puts it
in the operation's Context (``prepared_document``) before ``schema.execute`` or
``schema.stream``; this extension hands it to Strawberry and skips Strawberry's own
validation. Without one (a caller that did not prepare), Strawberry parses with the token
limit and validates with the query-limit rules itself, so the limits hold whoever executes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from graphql import ASTValidationRule, DocumentNode
from strawberry.extensions import SchemaExtension

from schema.context import Context

__all__ = ["UsePreparedDocument"]


class UsePreparedDocument(SchemaExtension):
    def __init__(self, *, rules: Sequence[type[ASTValidationRule]], max_tokens: int | None) -> None:
        super().__init__()
        self._rules = tuple(rules)
        self._max_tokens = max_tokens
        self._prepared = False

    @property
    def rules(self) -> tuple[type[ASTValidationRule], ...]:
        return self._rules

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        value = context.context
        document: DocumentNode | None = (
            value.prepared_document if isinstance(value, Context) else None
        )
        self._prepared = document is not None
        if document is not None:
            context.graphql_document = document
        elif self._max_tokens is not None:
            context.parse_options["max_tokens"] = self._max_tokens
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self._prepared:
            context.pre_execution_errors = []  # validated when it was prepared
        else:
            context.validation_rules = (*context.validation_rules, *self._rules)
        yield
