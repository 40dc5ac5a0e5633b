"""The GraphQL multipart request spec (apollo-upload-client, urql, Relay): decode the
``operations`` and ``map`` fields, stream each file part into the file store, and put the
stored file where the map says (``variables.file``, ``0.variables.files.1``...).

Parts come in the spec's order: ``operations`` (JSON), ``map`` (JSON object from part name
to object paths), then the files. A file is written while it is read, its size checked
as it streams (413, nothing kept, the rest of the body never read); only files named in
the map are read, others are skipped as the spec says.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import BodyPartReader, web

from app.errors import BAD_REQUEST, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE
from app.files.store import FileStore, FileTooLarge, StoredUpload, UnsupportedFileType
from app.protocol import RequestError

__all__ = ["MAX_FILES", "UploadOptions", "read_multipart"]

MAX_FILES = 10
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class UploadOptions:
    """Where files go and how large each may be; ``max_field_bytes`` bounds the JSON parts."""

    store: FileStore
    max_file_bytes: int
    max_field_bytes: int


def _bad(message: str) -> RequestError:
    return RequestError(400, message, BAD_REQUEST)


async def read_multipart(request: web.Request, options: UploadOptions) -> Any:
    """The decoded ``operations`` (an object, or a batch array) with every mapped path set
    to its ``StoredUpload``; RequestError (400 / 413 / 415) for an unusable request."""
    declared = request.content_length
    if (
        declared is not None
        and declared > MAX_FILES * options.max_file_bytes + options.max_field_bytes
    ):
        raise RequestError(413, "Request body is too large.", PAYLOAD_TOO_LARGE)
    try:
        reader = await request.multipart()
        operations = await _json_part(await reader.next(), "operations", options.max_field_bytes)
        file_map = _check_map(await _json_part(await reader.next(), "map", options.max_field_bytes))
        stored: dict[str, StoredUpload] = {}
        while len(stored) < len(file_map):
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                raise _bad("Nested multipart bodies are not supported.")
            name = part.name or ""
            if name not in file_map or name in stored:
                await part.release()
                continue
            stored[name] = await _store(part, name, options)
    except (ValueError, AssertionError) as error:  # malformed multipart framing
        raise _bad(f"The multipart body is malformed: {error}") from None
    missing = sorted(set(file_map) - set(stored))
    if missing:
        raise _bad(f"The map names file parts that were not sent: {', '.join(missing)}.")
    for name, paths in file_map.items():
        for path in paths:
            operations = _place(operations, path, stored[name])
    return operations


async def _json_part(part: Any, expected: str, limit: int) -> Any:
    if not isinstance(part, BodyPartReader) or part.name != expected:
        raise _bad(
            f"The multipart body must send the '{expected}' field next (GraphQL multipart request spec)."
        )
    raw = bytearray()
    while chunk := await part.read_chunk(CHUNK_BYTES):
        raw += chunk
        if len(raw) > limit:
            raise RequestError(413, f"The '{expected}' field is too large.", PAYLOAD_TOO_LARGE)
    try:
        return orjson.loads(bytes(raw))
    except orjson.JSONDecodeError:
        raise _bad(f"The '{expected}' field is not valid JSON.") from None


def _check_map(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise _bad("'map' must be an object from file part names to lists of paths.")
    if len(value) > MAX_FILES:
        raise RequestError(413, f"At most {MAX_FILES} files per request.", PAYLOAD_TOO_LARGE)
    for name, paths in value.items():
        if (
            not name
            or not isinstance(paths, list)
            or not paths
            or not all(isinstance(p, str) and p for p in paths)
        ):
            raise _bad(f"'map' entry {name!r} must be a non-empty list of object paths.")
    return value


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(CHUNK_BYTES):
        yield chunk


async def _store(part: BodyPartReader, name: str, options: UploadOptions) -> StoredUpload:
    try:
        return await options.store.save_stream(
            _chunks(part), filename=part.filename or name, max_bytes=options.max_file_bytes
        )
    except FileTooLarge as error:
        raise RequestError(413, str(error), PAYLOAD_TOO_LARGE) from None
    except UnsupportedFileType as error:
        raise RequestError(415, str(error), UNSUPPORTED_MEDIA_TYPE) from None


def _place(operations: Any, path: str, value: StoredUpload) -> Any:
    """``operations`` with the null at ``path`` replaced by ``value``; 400 for a bad path."""
    keys = path.split(".")
    if not (keys[0] == "variables" or (keys[0].isdigit() and keys[1:2] == ["variables"])):
        raise _bad(f"Map path {path!r} must point into the variables.")
    parent = operations
    for index, key in enumerate(keys):
        last = index == len(keys) - 1
        if isinstance(parent, list) and key.isdigit() and int(key) < len(parent):
            if last:
                if parent[int(key)] is not None:
                    break
                parent[int(key)] = value
                return operations
            parent = parent[int(key)]
        elif isinstance(parent, dict) and key in parent:
            if last:
                if parent[key] is not None:
                    break
                parent[key] = value
                return operations
            parent = parent[key]
        else:
            break
    raise _bad(f"Map path {path!r} does not name a null in the operations.")
