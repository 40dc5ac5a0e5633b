"""The bench reads wrk's result line strictly, except that a warm-up may finish nothing."""

from __future__ import annotations

import orjson
import pytest

from bench.wrk import RESULT_PREFIX, WrkError, parse_output


def _line(**overrides: int) -> str:
    raw = {"requests": 12, "duration_us": 2_000_000, "p50_us": 1500, "p99_us": 9000}
    raw.update({name: 0 for name in ("non2xx", "graphql_errors", "connect", "read")})
    raw.update({"write": 0, "timeout": 0})
    raw.update(overrides)
    return "Running 2s test\n" + RESULT_PREFIX + orjson.dumps(raw).decode() + "\n"


def test_a_result_line_gives_requests_and_latencies() -> None:
    result = parse_output(_line())
    assert (result.requests, result.duration_s, result.p50_ms, result.p99_ms) == (12, 2, 1.5, 9)


def test_no_completed_request_fails_a_measurement_but_not_a_warm_up() -> None:
    with pytest.raises(WrkError, match="no request"):
        parse_output(_line(requests=0))
    assert parse_output(_line(requests=0), allow_none=True).requests == 0


@pytest.mark.parametrize("failure", ["non2xx", "graphql_errors", "timeout"])
def test_any_failed_request_fails_the_run_even_a_warm_up(failure: str) -> None:
    with pytest.raises(WrkError, match=failure):
        parse_output(_line(**{failure: 1}), allow_none=True)
