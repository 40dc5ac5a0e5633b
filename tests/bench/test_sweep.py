"""The sweep's plan, its flat-round-trips rule and its outputs, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.server import port_range
from bench.sweep import plan, seconds_from_env
from bench.sweep_data import SweepError
from bench.sweep_report import Point, check_flat, plot, sweep_markdown


def _point(sweep: str, x: str, trips: str, query: str = "Q1") -> Point:
    return Point(sweep, x, query, 100.0, 1.0, 2.0, 3.0, trips, 1000)


def test_the_plan_covers_every_sweep_point_once() -> None:
    points = plan(1, 2)
    assert [x for sweep, x, *_ in points if sweep == "page size"] == ["10", "50", "100"]
    assert [x for sweep, x, *_ in points if sweep == "fan-out"] == ["5x5", "10x10", "20x20"]
    concurrency = [(q, n) for sweep, _, q, _, n in points if sweep == "concurrency"]
    assert concurrency == [(q, n) for q in ("Q1", "Q2", "Q3") for n in (1, 16, 64)]


def test_flat_round_trips_pass_and_growing_or_ranged_ones_are_named() -> None:
    flat = [_point("page size", x, "2") for x in ("10", "50", "100")]
    assert check_flat(flat) == []
    growing = [*flat[:2], _point("page size", "100", "3")]
    assert check_flat(growing) == [
        "page size / Q1: round trips by x {'10': '2', '50': '2', '100': '3'}"
    ]
    assert len(check_flat([_point("dataset", "1M", "2-3", "Q3")])) == 1


def test_the_markdown_says_when_trips_are_not_flat_and_the_plot_is_written(tmp_path: Path) -> None:
    points = [_point("page size", "10", "2"), _point("concurrency", "1", "2", "Q3")]
    assert "flat in every sweep" in sweep_markdown(points, "today", 3, 60.0, [])
    assert "NOT flat" in sweep_markdown(points, "today", 3, 60.0, ["page size / Q1: ..."])
    plot(points, tmp_path / "sweep.png")
    assert (tmp_path / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_seconds_and_ports_come_from_the_environment() -> None:
    assert seconds_from_env({}) == 3
    with pytest.raises(SweepError):
        seconds_from_env({"VANTA_SWEEP_SECONDS": "fast"})
    assert port_range({"VANTA_BENCH_PORTS": "9300-9399"}) == range(9300, 9400)
    assert port_range({}) is None
    with pytest.raises(ValueError):
        port_range({"VANTA_BENCH_PORTS": "high"})
