"""Assemble the schema: root types, query limits, quiet error logging."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule, ValidationRule
from strawberry.types import ExecutionContext

from app.config import Settings
from schema.limits import QueryLimits, limit_rules
from schema.mutation import Mutation
from schema.prepared import UsePreparedDocument
from schema.query import Query
from schema.scalars import SCALAR_OVERRIDES
from schema.subscription import Subscription

__all__ = ["VantaSchema", "build_schema"]


class VantaSchema(strawberry.Schema):
    """Logs only unexpected errors: client mistakes are answers, not incidents.

    The HTTP layer logs unexpected errors with the request id when it masks them, so
    nothing is logged here at all.

    ``query_rules`` and ``max_tokens`` are the query limits: whoever parses and validates a
    document for this schema (app.documents.prepared) applies them.
    """

    query_rules: tuple[type[ValidationRule], ...] = ()
    max_tokens: int | None = None

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def build_schema(settings: Settings | None = None) -> VantaSchema:
    """The schema with the query limits of ``settings`` (defaults when None).

    Limits are validation rules and a parser option, so they apply before execution
    whatever executes the operation; the rule classes are built once here, which keeps
    them part of the validation cache's key rather than a new one per request.
    """
    settings = settings or Settings()
    limits = QueryLimits(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_cost=settings.max_query_cost,
        max_page_size=settings.max_page_size,
    )
    rules: list[type[ValidationRule]] = list(limit_rules(limits))
    if not settings.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    max_tokens = settings.max_tokens
    schema = VantaSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        scalar_overrides=SCALAR_OVERRIDES,
        extensions=[lambda: UsePreparedDocument(rules=rules, max_tokens=max_tokens)],
    )
    schema.query_rules = tuple(rules)
    schema.max_tokens = max_tokens
    return schema
