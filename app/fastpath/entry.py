"""The fast path's one entry point: a response body for a prepared query, or None for stock.

Used only by ``app.execution``, so everything that wraps execution (authentication,
caches, persisted queries, limits) wraps the fast path too.
"""

from __future__ import annotations

from typing import Any

from strawberry import Schema

from app.fastpath.operation import FastOperation
from app.fastpath.runner import RunState, run_plan
from schema.prepared import UsePreparedDocument

__all__ = ["execute_fast", "schema_supported"]


def schema_supported(schema: Schema) -> bool:
    """Whether plans can reproduce this schema's execution: no extension or middleware that
    could change results (the prepared-document extension only supplies the parse and
    validation), no custom directives, Strawberry's default attribute resolver.
    """
    return (
        all(isinstance(extension, UsePreparedDocument) for extension in schema.get_extensions())
        and not schema.directives
        and schema.config.default_resolver is getattr
    )


async def execute_fast(
    fast: FastOperation, variable_values: dict[str, Any] | None, context: Any
) -> dict[str, Any] | None:
    """The response body, or None when stock execution must run the request.

    Raises ``Fallback`` when a resolver, a loader or value completion meets an error:
    stock execution then re-runs the request and reports it exactly.
    """
    variables = fast.variables.coerce(variable_values or {})
    if isinstance(variables, list):  # coercion errors: stock reports them
        return None
    plan = fast.plan(variables)
    if plan is None:
        return None
    loaders = context.loaders
    if plan.projection is not None and loaders.batching:  # naive mode stays one query per row
        in_postgres = loaders.metadata_in_postgres
        loaders.project(plan.projection if in_postgres else plan.projection_outside)
    state = RunState(fast.schema, fast.operation, fast.fragment_definitions, variables, context)
    return {"data": await run_plan(plan, state)}
