"""Assemble the schema: root types, bounded parse/validation caches, quiet error logging."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.types import ExecutionContext

from app.errors import ApiError
from schema.mutation import Mutation
from schema.query import Query

__all__ = ["VantaSchema", "build_schema"]

log = logging.getLogger("vanta.graphql")

PARSE_CACHE_SIZE = 1024
VALIDATION_CACHE_SIZE = 1024


class VantaSchema(strawberry.Schema):
    """Logs only unexpected errors: client mistakes are answers, not incidents.

    The HTTP layer logs unexpected errors with the request id when it masks them, so
    nothing is logged here at all.
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def build_schema() -> VantaSchema:
    return VantaSchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            lambda: ParserCache(maxsize=PARSE_CACHE_SIZE),
            lambda: ValidationCache(maxsize=VALIDATION_CACHE_SIZE),
        ],
    )


def is_client_error(error: GraphQLError) -> bool:
    return isinstance(error.original_error, ApiError)
