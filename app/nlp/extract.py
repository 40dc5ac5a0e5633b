"""The text of a stored file: UTF-8 text as it is, PDF through pypdf (imported lazily)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["extract_text"]


def extract_text(path: Path, mime_type: str) -> str:
    """The document's text; raises on a file that cannot be read (a failed attempt)."""
    if mime_type == "application/pdf":
        from pypdf import PdfReader

        reader = PdfReader(path, strict=False)
        return "\n".join((page.extract_text() or "") for page in reader.pages)
    return path.read_bytes().decode("utf-8", "replace").replace("\x00", "")
