"""Compression: gzip/br over ~1 KB when accepted, Vary, cache hits never compressed again."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import brotli
import orjson
import pytest

import app.http.compression as compression_module
from app.codings import COMPRESS_MIN_BYTES, EncodedBody, compress, pack, unpack
from app.config import Settings
from app.http.compression import compression_middleware, negotiate
from tests.conftest import Api, make_token, start_api
from tests.world import World

BIG = "{ documents(first: 50) { nodes { id filename documentType category status uploadedAt } } }"


@pytest.fixture(scope="module")
async def cached_api(settings: Settings, world: World) -> AsyncIterator[Api]:
    async for api in start_api(replace(settings, cache_enabled=True)):
        yield api


async def _raw(api: Api, query: str, accept_encoding: str, token: str) -> tuple[bytes, dict]:
    """POST without the client's own decompression: the bytes as they crossed the wire."""
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.post(
            api.client.make_url("/graphql"),
            json={"query": query},
            headers={"Authorization": f"Bearer {token}", "Accept-Encoding": accept_encoding},
        ) as response,
    ):
        assert response.status == 200
        return await response.read(), dict(response.headers)


@pytest.mark.parametrize(
    ("accept", "coding", "decode"),
    [("gzip", "gzip", gzip.decompress), ("gzip, br", "br", brotli.decompress)],
)
async def test_large_response_is_compressed_in_the_accepted_coding(
    api: Api, accept: str, coding: str, decode: object
) -> None:
    token = make_token()
    plain, plain_headers = await _raw(api, BIG, "identity", token)
    assert len(plain) > COMPRESS_MIN_BYTES and "Content-Encoding" not in plain_headers
    body, headers = await _raw(api, BIG, accept, token)
    assert headers["Content-Encoding"] == coding
    assert len(body) < len(plain)
    assert decode(body) == plain  # type: ignore[operator]
    vary = {item.strip() for item in headers["Vary"].split(",")}
    assert {"Accept-Encoding", "Authorization"} <= vary


async def test_small_response_is_sent_as_it_is(api: Api) -> None:
    body, headers = await _raw(api, "{ __typename }", "gzip, br", make_token())
    assert "Content-Encoding" not in headers
    assert orjson.loads(body) == {"data": {"__typename": "Query"}}


async def test_cache_hit_is_sent_compressed_without_compressing_again(
    cached_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = make_token(subject="compression-hit")
    first, first_headers = await _raw(cached_api, BIG, "br", token)
    assert first_headers["X-Cache"] == "MISS"
    calls: list[str] = []

    def counting(body: bytes, coding: str) -> bytes:
        calls.append(coding)
        return compress(body, coding)

    monkeypatch.setattr(compression_module, "compress", counting)
    for accept, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        body, headers = await _raw(cached_api, BIG, accept, token)
        assert headers["X-Cache"] == "HIT"
        assert headers["Content-Encoding"] == accept
        assert decode(body) == brotli.decompress(first)
    plain, headers = await _raw(cached_api, BIG, "identity", token)
    assert headers["X-Cache"] == "HIT" and "Content-Encoding" not in headers
    assert plain == brotli.decompress(first)
    assert calls == []


async def test_a_miss_is_compressed_once_for_its_entry_and_its_response(
    cached_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The response of a stored miss is sent from the forms computed for the entry."""
    import app.codings as codings_module

    calls: list[str] = []
    original = codings_module.compress

    def counting(body: bytes, coding: str) -> bytes:
        calls.append(coding)
        return original(body, coding)

    monkeypatch.setattr(codings_module, "compress", counting)
    monkeypatch.setattr(compression_module, "compress", counting)
    unseen = BIG.replace("{ documents", "{ missed: __typename documents", 1)  # not cached yet
    body, headers = await _raw(cached_api, unseen, "br", make_token(subject="compression-miss"))
    assert headers["X-Cache"] == "MISS" and headers["Content-Encoding"] == "br"
    assert orjson.loads(brotli.decompress(body))["data"]
    assert sorted(calls) == ["br", "gzip"]  # once each, for the entry; none for the response


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", None),
        ("identity", None),
        ("gzip", "gzip"),
        ("gzip, deflate, br", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("br;q=0, gzip;q=0", None),
        ("*", "br"),
        ("br;q=zzz, gzip;q=0.1", "gzip"),
        (",,;;q=", None),
        ("GZIP", "gzip"),
    ],
)
def test_accept_encoding_negotiation(header: str, expected: str | None) -> None:
    assert negotiate(header) == expected


def test_pack_round_trip_and_plain_entries() -> None:
    body = orjson.dumps({"data": {"x": "y" * 3000}})
    packed = unpack(pack(EncodedBody.of(body)))
    assert packed == body
    assert gzip.decompress(packed.variants["gzip"]) == body
    assert brotli.decompress(packed.variants["br"]) == body
    small = unpack(pack(EncodedBody.of(b'{"data":{}}')))
    assert small == b'{"data":{}}' and small.variants == {}
    legacy = unpack(b'{"data":{"stored":"before packing"}}')
    assert legacy == b'{"data":{"stored":"before packing"}}' and legacy.variants == {}


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="coding"):
        compress(b"x", "deflate")
    with pytest.raises(ValueError, match="min_bytes"):
        compression_middleware(-1)
