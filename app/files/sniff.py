"""What an uploaded file is, judged by its bytes (never by its name or the client's word)."""

from __future__ import annotations

__all__ = ["PDF", "SNIFF_BYTES", "TEXT", "sniff_mime"]

PDF = "application/pdf"
TEXT = "text/plain"
SNIFF_BYTES = 8192  # enough to see a PDF header or decide that the start is text


def sniff_mime(head: bytes, *, complete: bool) -> str | None:
    """``application/pdf``, ``text/plain``, or None for anything else (refused).

    ``head`` is the start of the file (the whole file when ``complete``). PDF: the
    ``%PDF-`` signature within the first 1024 bytes, as readers accept it. Text: valid
    UTF-8 without NUL bytes or other C0 controls except tab, newline, carriage return and
    form feed; a multi-byte character cut by the end of an incomplete head is allowed.
    """
    if b"%PDF-" in head[:1024]:
        return PDF
    if not head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if complete or error.start < len(head) - 3:
            return None
        text = head[: error.start].decode("utf-8")
    if any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text):
        return None
    return TEXT
