"""Literal argument values that fail their type name the argument they were given for.

graphql-core's ``ValuesOfCorrectTypeRule`` reports a scalar's refusal as the scalar words
it (``Value cannot represent a Decimal: "abc".``), without a location and without saying
which argument of which field: in a mutation with an input object of ten fields the user
has to guess. This subclass replaces it in validation (app.documents.prepared) and adds
``extensions.argument`` (``input.amount``), the argument in the message and the literal's
location; the code stays GRAPHQL_VALIDATION_FAILED (it is a validation error).
"""

from __future__ import annotations

from typing import Any

from graphql import ArgumentNode, GraphQLError, GraphQLInputType, ValueNode
from graphql.language.visitor import SKIP, VisitorAction
from graphql.utilities.validate_input_value import validate_input_literal
from graphql.validation.rules.values_of_correct_type import ValuesOfCorrectTypeRule

from app.errors import GRAPHQL_VALIDATION_FAILED

__all__ = ["NamedValuesOfCorrectTypeRule"]


class NamedValuesOfCorrectTypeRule(ValuesOfCorrectTypeRule):
    """``ValuesOfCorrectTypeRule`` whose errors name the argument (and input field path)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._argument: str | None = None

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self._argument = node.name.value

    def leave_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self._argument = None

    def is_valid_value_node(
        self, node: ValueNode, input_type: GraphQLInputType | None
    ) -> VisitorAction:
        if input_type:

            def on_error(error: GraphQLError, path: list[str | int]) -> None:
                self.report_error(self._named(error, node, path))

            validate_input_literal(
                node, input_type, on_error, None, None, self.context.hide_suggestions
            )
        return SKIP  # the whole literal was checked; do not visit its parts again

    def _named(self, error: GraphQLError, node: ValueNode, path: list[str | int]) -> GraphQLError:
        if self._argument is None:  # a variable's default value, not an argument
            return error
        argument = ".".join([self._argument, *(str(part) for part in path)])
        return GraphQLError(
            f"Argument '{argument}': {error.message}",
            error.nodes or node,
            extensions={"code": GRAPHQL_VALIDATION_FAILED, "argument": argument},
        )
