"""Files stored once by content: ``<root>/<sha256>``, written while they stream in.

A file is written to ``<root>/tmp/`` while its sha256 and size are computed, then renamed
to its hash (rename is atomic on one file system, so a reader never sees half a file, and
the same bytes uploaded twice are stored once). Going over the size limit stops the write
at once and removes the partial file: nothing is stored.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from app.files.sniff import SNIFF_BYTES, sniff_mime

__all__ = ["FileStore", "FileTooLarge", "StoredUpload", "UnsupportedFileType"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class StoredUpload:
    """A file of a request, stored: what the ``Upload`` scalar's variable holds."""

    sha256: str
    size: int
    mime_type: str
    filename: str
    path: Path


class FileTooLarge(Exception):
    """The file went over the limit; nothing was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"A file may hold at most {limit} bytes.")
        self.limit = limit


class UnsupportedFileType(Exception):
    """The file is neither PDF nor UTF-8 text; nothing was stored."""


class FileStore:
    """The store under ``root`` (created on first write).

    Recommended use::

        store = FileStore(settings.data_dir / "files")
        stored = await store.save_stream(chunks, filename="a.pdf", max_bytes=10 << 20)
    """

    __slots__ = ("root",)

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        """Where the file with this hash lives; ValueError for anything but a sha256 hex."""
        if not _SHA256.match(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256

    async def save_stream(
        self, chunks: AsyncIterator[bytes], *, filename: str, max_bytes: int
    ) -> StoredUpload:
        """Store what ``chunks`` yields; FileTooLarge / UnsupportedFileType store nothing."""
        temp = self._temp_path()
        digest = hashlib.sha256()
        size = 0
        head = b""
        try:
            with temp.open("wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise FileTooLarge(max_bytes)
                    if len(head) < SNIFF_BYTES:
                        head += chunk[: SNIFF_BYTES - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
            mime = sniff_mime(head, complete=size <= SNIFF_BYTES)
            if mime is None:
                raise UnsupportedFileType("Only PDF and UTF-8 text files are accepted.")
            return self._keep(temp, digest.hexdigest(), size, mime, filename)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def save_bytes(self, data: bytes, *, filename: str, mime_type: str) -> StoredUpload:
        """Store ``data`` (already checked, e.g. JSON ``content``) under its hash."""
        temp = self._temp_path()
        try:
            temp.write_bytes(data)
            return self._keep(
                temp, hashlib.sha256(data).hexdigest(), len(data), mime_type, filename
            )
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def _temp_path(self) -> Path:
        tmp = self.root / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        return tmp / f"{uuid.uuid4().hex}.part"

    def _keep(self, temp: Path, sha256: str, size: int, mime: str, filename: str) -> StoredUpload:
        final = self.root / sha256
        if final.exists():
            temp.unlink()  # the same bytes are stored already
        else:
            os.replace(temp, final)
        return StoredUpload(sha256, size, mime, filename, final)
