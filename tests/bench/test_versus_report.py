"""The side-by-side table from synthetic rounds: medians, pair ratios, counts and bytes."""

from __future__ import annotations

import pytest

from bench.versus import Round, SideQuery, Versus, db_address, pairs_from_env, via
from bench.versus_report import rows, versus_console, versus_markdown


def _side(rps: list[float], statements: float, size: int) -> SideQuery:
    rounds = [Round(r, 1.0, 2.0, 1000 / r, 0.5) for r in rps]
    return SideQuery(rounds=rounds, bytes=size, statements=statements, wire_round_trips=statements)


def _versus(processes: int = 1) -> Versus:
    return Versus(
        processes,
        ours={"Q3": _side([900, 1200, 1000], 3, 436)},
        peer={"Q3": _side([600, 600, 400], 1, 488)},
        matched_ids={"Q3": 2},
        rss_ours_mib=[60, 20],
        rss_peer_mib=[250],
    )


def test_a_row_gives_medians_the_pair_ratio_and_the_counts() -> None:
    (row,) = rows(_versus())
    assert row[:3] == ["Q3", "1,000 / 600", "2.00 (1.50..2.50)"]
    assert row[5] == "1.00 / 1.67"  # server CPU ms/request: 1000 / rps
    assert row[7:] == ["3 / 1", "3 / 1", "436 / 488"]


def test_the_markdown_names_both_comparisons_and_a_skip_says_why() -> None:
    text = versus_markdown([_versus(1), _versus(2)], None, "PostGraphile 5.1.5", 10)
    assert "### One process each" in text and "### 2 workers against 2 PostGraphile" in text
    assert "3 pairs per query" in text
    assert "Skipped: PEER=off." in versus_markdown([], "PEER=off", "", 10)
    assert "ours 80 MiB (60 + 20), PostGraphile 250 MiB" in versus_console([_versus()])


def test_the_counting_relay_takes_the_database_address_but_keeps_the_rest() -> None:
    dsn = "postgresql://postgres@127.0.0.1:5432/vanta_bench?sslmode=prefer"
    assert via(dsn, 9390) == "postgresql://postgres@127.0.0.1:9390/vanta_bench?sslmode=prefer"
    assert db_address(dsn) == ("127.0.0.1", 5432)
    assert db_address("postgresql://db.example/x") == ("db.example", 5432)


def test_pairs_come_from_the_environment() -> None:
    assert pairs_from_env({}) == 6 and pairs_from_env({"VANTA_BENCH_PAIRS": "2"}) == 2
    with pytest.raises(ValueError):
        pairs_from_env({"VANTA_BENCH_PAIRS": "0"})
