"""The interleaved pairs' maths: medians of each side and the median pair ratio with its range."""

from __future__ import annotations

import pytest

from bench.pairs import summarise


def test_the_ratio_is_the_median_of_pair_ratios_not_the_ratio_of_medians() -> None:
    summary = summarise([100, 300, 90], [100, 100, 300])
    assert (summary.ours, summary.peer, summary.pairs) == (100, 100, 3)
    assert summary.ratio == 1.0  # ratios 1.0, 3.0, 0.3
    assert (summary.low, summary.high) == (0.3, 3.0)
    assert summary.spread() == "1.00 (0.30..3.00)"


def test_an_even_number_of_pairs_takes_the_middle_two() -> None:
    summary = summarise([2, 4, 6, 8], [1, 1, 1, 1])
    assert (summary.ours, summary.ratio) == (5, 5)


@pytest.mark.parametrize(("ours", "peer"), [([], []), ([1, 2], [1]), ([1], [0])])
def test_pairs_that_do_not_line_up_or_divide_by_zero_are_refused(
    ours: list[float], peer: list[float]
) -> None:
    with pytest.raises(ValueError):
        summarise(ours, peer)
