"""How far a standby is behind, from the primary's WAL position over time and its own replay.

``pg_last_xact_replay_timestamp()`` alone misleads on an idle primary: nothing commits, the
last replayed commit grows old, and a fully caught-up standby would look minutes behind. So
each poll also samples the primary's ``pg_current_wal_lsn()``: a standby that has replayed
past the newest sample is caught up (lag 0); otherwise it holds everything the primary had
at the newest sample its replay position covers, and its lag is at most the time since
then. Both that and the replay timestamp's age are upper bounds; the smaller one is used.
"""

from __future__ import annotations

import math
from collections import deque

__all__ = ["WalSamples"]


class WalSamples:
    """The primary's WAL position at recent poll times (seconds on this host's clock).

    Example::

        samples = WalSamples(keep=64)
        samples.add(time.time(), primary_lsn)
        lag = samples.lag(time.time(), replay_lsn, replay_age)
    """

    def __init__(self, keep: int = 64) -> None:
        if keep < 2:
            raise ValueError("keep must be at least 2 (samples kept)")
        self._samples: deque[tuple[float, int]] = deque(maxlen=keep)

    def add(self, at: float, lsn: int) -> None:
        """The primary was at ``lsn`` at time ``at`` (polls add them in time order)."""
        self._samples.append((at, lsn))

    @property
    def newest(self) -> int | None:
        return self._samples[-1][1] if self._samples else None

    def lag(self, now: float, replay_lsn: int, replay_age: float | None) -> float:
        """Seconds the standby is behind at most (``math.inf`` when nothing bounds it).

        ``replay_age``: ``now() - pg_last_xact_replay_timestamp()`` on the standby, None when
        it never replayed a commit.
        """
        covered: float | None = None
        for at, lsn in reversed(self._samples):
            if lsn <= replay_lsn:
                covered = at
                break
        if covered is not None and covered == self._samples[-1][0]:
            return 0.0  # replayed past the primary's newest position: caught up
        bounds = [max(0.0, now - covered)] if covered is not None else []
        if replay_age is not None:
            bounds.append(max(0.0, replay_age))
        return min(bounds) if bounds else math.inf
