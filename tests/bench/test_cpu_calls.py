"""bench.cpu --calls counts the Python calls of one request, as cProfile sees them."""

from __future__ import annotations

from bench.cpu import _calls_per_request


def _leaf() -> None:
    return None


async def test_calls_per_request_counts_each_requests_calls() -> None:
    async def once(calls: int) -> None:
        for _ in range(calls):
            _leaf()

    few = await _calls_per_request(lambda: once(3))
    many = await _calls_per_request(lambda: once(13))
    assert many - few == 10  # ten more calls of _leaf per request, whatever the overhead
