"""The bench's per-backend Q1 rows: PostgreSQL always, MongoDB only with a server URL."""

from __future__ import annotations

from typing import Any

import pytest

from bench.backends import MONGO_ENV, backends_markdown, backends_table, measure_backends
from bench.report import ModeResult
from bench.wrk import WrkResult


def test_without_mongodb_url_the_mongo_row_says_it_was_skipped_and_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(MONGO_ENV, raising=False)
    q1 = WrkResult(requests=500, duration_s=10.0, p50_ms=12.5, p99_ms=40.0)
    loaders = ModeResult("fast", 400.0, 70.0, {"Q1": "3"}, {"Q1": 1}, {"Q1": q1}, {"Q1": 3.8})
    setup: Any = object()  # not touched when MongoDB is skipped
    results = measure_backends(setup, loaders)
    assert [r.backend for r in results] == ["postgres", "mongo"]
    assert results[0].rps == 50.0 and results[0].round_trips == "3"
    assert results[1].rps is None and MONGO_ENV in results[1].note
    assert "skipped" in capsys.readouterr().out
    table = backends_table(results)
    assert "50.0" in table and f"skipped: {MONGO_ENV} is not set" in table
    assert "| mongo | - | - | - |" in backends_markdown(results)
