"""Scalar overrides: Strawberry's own, with every parse failure a coercion error.

Strawberry's DateTime parses with dateutil's ``isoparse``, which raises OverflowError (not
ValueError) for ``9999-12-31T24:00:00``: the next day does not exist. That escaped as an
internal error; here it is the client's invalid value, like any other.
"""

from __future__ import annotations

import datetime as dt
from operator import methodcaller
from typing import Any

import dateutil.parser
from strawberry.schema.types.base_scalars import wrap_parser
from strawberry.types.scalar import ScalarDefinition

from schema.uploads import UPLOAD, Upload

__all__ = ["SCALAR_OVERRIDES"]

DateTime = ScalarDefinition(
    name="DateTime",
    description="Date with time (isoformat)",
    specified_by_url=None,
    serialize=methodcaller("isoformat"),
    parse_value=wrap_parser(dateutil.parser.isoparse, "DateTime", (ValueError, OverflowError)),
    parse_literal=None,
    origin=dt.datetime,
)

SCALAR_OVERRIDES: dict[object, Any] = {dt.datetime: DateTime, Upload: UPLOAD}
