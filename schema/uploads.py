"""The ``Upload`` scalar of the GraphQL multipart request spec.

Its value only ever comes from a file part of a multipart request, which the transport
(app.transport.multipart) has already streamed into the file store: the variable holds a
``StoredUpload``. Anything else in that position (a string in JSON variables, a literal) is
a coercion error, so a client cannot make the server read a path of its choosing.
"""

from __future__ import annotations

from typing import Any, NewType

from strawberry.types.scalar import ScalarDefinition

from app.files.store import StoredUpload

__all__ = ["MSG_NOT_A_FILE", "UPLOAD", "Upload"]

MSG_NOT_A_FILE = "Upload values come from a file part of a multipart request."


def _parse(value: Any) -> StoredUpload:
    if not isinstance(value, StoredUpload):
        raise ValueError(MSG_NOT_A_FILE)
    return value


def _serialize(value: Any) -> str:
    return value.filename if isinstance(value, StoredUpload) else str(value)


def _literal(*_: Any) -> StoredUpload:
    raise ValueError(MSG_NOT_A_FILE)


# The Python type of Upload fields; the schema maps it to UPLOAD (schema.scalars).
Upload = NewType("Upload", StoredUpload)

UPLOAD = ScalarDefinition(
    name="Upload",
    description="A file sent as a part of a multipart request (GraphQL multipart request spec).",
    specified_by_url=None,
    serialize=_serialize,
    parse_value=_parse,
    parse_literal=_literal,
    origin=Upload,  # type: ignore[arg-type]
)
