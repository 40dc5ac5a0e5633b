"""The lag bound from the primary's WAL samples and the standby's replay position."""

from __future__ import annotations

import math

import pytest

from app.replicas.lag import WalSamples


def test_a_standby_at_the_primarys_position_is_caught_up_however_old_its_last_commit() -> None:
    samples = WalSamples()
    samples.add(100.0, 5000)
    assert samples.lag(160.0, replay_lsn=5000, replay_age=3600.0) == 0.0


def test_a_standby_behind_is_bounded_by_the_newest_sample_it_covers() -> None:
    samples = WalSamples()
    for at, lsn in ((100.0, 1000), (101.0, 2000), (102.0, 3000)):
        samples.add(at, lsn)
    # Replayed up to 2000: it has what the primary had at 101, not more.
    assert samples.lag(103.0, replay_lsn=2500, replay_age=30.0) == pytest.approx(2.0)


def test_the_replay_timestamp_bounds_it_when_tighter() -> None:
    samples = WalSamples()
    samples.add(100.0, 1000)
    samples.add(110.0, 2000)
    assert samples.lag(111.0, replay_lsn=1500, replay_age=0.5) == pytest.approx(0.5)


def test_nothing_bounds_a_standby_behind_every_sample_that_never_replayed_a_commit() -> None:
    samples = WalSamples()
    samples.add(100.0, 1000)
    assert samples.lag(101.0, replay_lsn=10, replay_age=None) == math.inf


def test_history_is_bounded() -> None:
    samples = WalSamples(keep=2)
    for at in range(10):
        samples.add(float(at), at * 100)
    assert samples.newest == 900
    # Sample 700 was dropped: the bound falls back to the replay timestamp.
    assert samples.lag(10.0, replay_lsn=750, replay_age=4.0) == 4.0
    with pytest.raises(ValueError, match="keep"):
        WalSamples(keep=1)
