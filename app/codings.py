"""Content codings (gzip, br) and a body that carries its compressed forms with it.

A cached response is compressed once, when it is stored, and every hit is then served from
those bytes: ``EncodedBody`` is a ``bytes`` (so every layer between the cache and the
compression middleware passes it on untouched) that also holds its ``gzip``/``br`` forms.
``pack``/``unpack`` turn it into the one byte string a cache backend stores.
"""

from __future__ import annotations

import struct
import zlib

import brotli

__all__ = [
    "BR",
    "CODINGS",
    "COMPRESS_MIN_BYTES",
    "GZIP",
    "EncodedBody",
    "compress",
    "pack",
    "unpack",
]

GZIP = "gzip"
BR = "br"
CODINGS = (BR, GZIP)  # preference order when the client accepts both equally
# Below this a compressed body saves less than its headers and the CPU cost.
COMPRESS_MIN_BYTES = 1024
# Dynamic-content settings: brotli quality 11 (the library default) costs ~100x quality 5
# for a few percent; gzip 6 is zlib's own default balance.
BROTLI_QUALITY = 5
GZIP_LEVEL = 6

_MAGIC = b"\x00vz1"  # no JSON body starts with NUL: entries stored before packing still read
_HEADER = struct.Struct(">III")


def compress(body: bytes, coding: str) -> bytes:
    """``body`` in ``coding`` (gzip with mtime 0, so the same body gives the same bytes)."""
    if coding == BR:
        return bytes(brotli.compress(body, quality=BROTLI_QUALITY))
    if coding == GZIP:
        return zlib.compress(body, GZIP_LEVEL, wbits=31)
    raise ValueError(f"coding must be one of {', '.join(CODINGS)}, got {coding!r}")


class EncodedBody(bytes):
    """The identity body, with ``variants`` mapping a coding to the body in that coding."""

    variants: dict[str, bytes]

    @classmethod
    def of(cls, body: bytes) -> EncodedBody:
        """Compress ``body`` in every coding, once (nothing for bodies under the minimum)."""
        encoded = cls(body)
        encoded.variants = (
            {coding: compress(body, coding) for coding in CODINGS}
            if len(body) >= COMPRESS_MIN_BYTES
            else {}
        )
        return encoded


def pack(body: EncodedBody) -> bytes:
    """One byte string holding the identity body and its gzip and br forms.

    A body without compressed forms (under the minimum) is stored as it is.
    """
    if not body.variants:
        return bytes(body)
    gzip_body = body.variants.get(GZIP, b"")
    br_body = body.variants.get(BR, b"")
    header = _HEADER.pack(len(body), len(gzip_body), len(br_body))
    return b"".join((_MAGIC, header, body, gzip_body, br_body))


def unpack(stored: bytes) -> EncodedBody:
    """What ``pack`` wrote; a plain stored body comes back without variants."""
    if not stored.startswith(_MAGIC):
        encoded = EncodedBody(stored)
        encoded.variants = {}
        return encoded
    start = len(_MAGIC) + _HEADER.size
    identity_size, gzip_size, br_size = _HEADER.unpack_from(stored, len(_MAGIC))
    gzip_start = start + identity_size
    br_start = gzip_start + gzip_size
    encoded = EncodedBody(stored[start:gzip_start])
    encoded.variants = {}
    if gzip_size:
        encoded.variants[GZIP] = stored[gzip_start:br_start]
    if br_size:
        encoded.variants[BR] = stored[br_start : br_start + br_size]
    return encoded
