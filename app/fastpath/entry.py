"""The fast path's one entry point: a response body for a query, or None for stock.

Used only by ``app.execution.execute_operation``, so everything that wraps execution
(authentication, caches, persisted queries, limits) wraps the fast path too.
"""

from __future__ import annotations

import weakref
from typing import Any

from graphql import get_variable_values
from strawberry import Schema
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)

from app.fastpath.documents import DocumentCache
from app.fastpath.runner import RunState, run_plan
from app.graphql_request import GraphQLRequest

__all__ = ["execute_fast", "schema_supported"]

# Schema extensions that do not change what execution returns (they only cache steps).
_NEUTRAL_EXTENSIONS = (ParserCache, ValidationCache)

_caches: weakref.WeakKeyDictionary[Schema, DocumentCache | None] = weakref.WeakKeyDictionary()


def schema_supported(schema: Schema) -> bool:
    """Whether plans can reproduce this schema's execution: no extension or middleware that
    could change results, no custom directives, Strawberry's default attribute resolver.

    Query limits are fine when the schema exposes them as ``query_rules`` and
    ``max_tokens`` (the fast path then parses and validates with them, as stock does).
    """
    extensions = schema.get_extensions()
    return (
        all(_neutral(schema, extension) for extension in extensions)
        and not schema.directives
        and schema.config.default_resolver is getattr
    )


def _neutral(schema: Schema, extension: SchemaExtension) -> bool:
    if isinstance(extension, _NEUTRAL_EXTENSIONS):
        return True
    if isinstance(extension, AddValidationRules):
        return tuple(extension.validation_rules) == tuple(getattr(schema, "query_rules", ()))
    if isinstance(extension, MaxTokensLimiter):
        return extension.max_token_count == getattr(schema, "max_tokens", None)
    return False


def _cache_for(schema: Schema) -> DocumentCache | None:
    try:
        return _caches[schema]
    except KeyError:
        cache = None
        if schema_supported(schema):
            cache = DocumentCache(
                schema._schema,
                rules=tuple(getattr(schema, "query_rules", ())),
                max_tokens=getattr(schema, "max_tokens", None),
            )
        _caches[schema] = cache
        return cache


async def execute_fast(
    schema: Schema, graphql_request: GraphQLRequest, context: Any
) -> dict[str, Any] | None:
    """The response body, or None when stock execution must run the request.

    Raises ``Fallback`` when a resolver, a loader or value completion meets an error:
    stock execution then re-runs the request and reports it exactly.
    """
    query = graphql_request.query
    cache = _cache_for(schema)
    if not query or cache is None:
        return None
    prepared = cache.prepare(query, graphql_request.operation_name)
    if prepared is None:
        return None
    variables = get_variable_values(
        schema._schema,
        prepared.operation.variable_definitions or (),
        graphql_request.variables or {},
    )
    if isinstance(variables, list):  # coercion errors: stock reports them
        return None
    plan = cache.plan(prepared, variables)
    if plan is None:
        return None
    state = RunState(
        schema._schema, prepared.operation, prepared.fragment_definitions, variables, context
    )
    return {"data": await run_plan(plan, state)}
