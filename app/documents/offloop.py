"""Parse and validate a document in a worker thread, so a large unseen one cannot hold the
event loop (and every other request, /healthz included) while graphql-core works.

The prechecks bound what validation may cost; this moves what remains off the loop. Use
it for documents over a size threshold that no cache has seen: small or known documents
are cheaper validated in place than handed to a thread.

Example::

    if should_offload(query):
        document, errors = await parse_and_validate_off_loop(schema, query, rules)
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from concurrent.futures import Executor

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    ValidationRule,
    parse,
    specified_rules,
    validate,
)

__all__ = ["OFFLOAD_THRESHOLD_BYTES", "parse_and_validate_off_loop", "should_offload"]

# Below this, a thread hop costs more than validation itself (measured: a 1 KiB document
# validates in well under a millisecond unless it is built to be slow).
OFFLOAD_THRESHOLD_BYTES = 2048


def should_offload(query: str, threshold_bytes: int = OFFLOAD_THRESHOLD_BYTES) -> bool:
    """Whether ``query`` is large enough to be worth validating in a thread."""
    return len(query) >= threshold_bytes


def _parse_and_validate(
    schema: GraphQLSchema,
    query: str,
    rules: Collection[type[ValidationRule]],
    max_tokens: int | None,
) -> tuple[DocumentNode | None, list[GraphQLError]]:
    try:
        document = parse(query, max_tokens=max_tokens)
    except GraphQLError as error:
        return None, [error]
    return document, validate(schema, document, rules)


async def parse_and_validate_off_loop(
    schema: GraphQLSchema,
    query: str,
    extra_rules: Collection[type[ValidationRule]] = (),
    *,
    max_tokens: int | None = None,
    executor: Executor | None = None,
) -> tuple[DocumentNode | None, list[GraphQLError]]:
    """The parsed document (None when it does not parse) and the validation errors.

    Runs graphql-core's ``parse`` and ``validate`` (the specified rules plus
    ``extra_rules``) in ``executor`` (default: the loop's thread pool). The GIL is still
    shared, but the loop gets its turn every switch interval instead of waiting for the
    whole validation. Syntax errors come back as the single error, never raised.
    """
    rules = [*specified_rules, *extra_rules]
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        executor, _parse_and_validate, schema, query, rules, max_tokens
    )
