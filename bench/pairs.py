"""Interleaved pairs: ours, peer, ours, peer… per query, so machine noise (other tenants of a
2-core box, CPU frequency) hits both alike; the figure is the median of the pair ratios with
their min..max, never two numbers from different moments."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

__all__ = ["PairSummary", "summarise"]


@dataclass(frozen=True, slots=True)
class PairSummary:
    """Medians over N (ours, peer) pairs of one figure, and the spread of their ratio."""

    ours: float
    peer: float
    ratio: float  # median of ours/peer over the pairs (not the ratio of the medians)
    low: float
    high: float
    pairs: int

    def spread(self) -> str:
        """'0.91 (0.69..1.03)': the median ratio and its range over the pairs."""
        return f"{self.ratio:.2f} ({self.low:.2f}..{self.high:.2f})"


def summarise(ours: list[float], peer: list[float]) -> PairSummary:
    """Summarise paired figures; ValueError when the pairs do not line up or a peer figure is 0."""
    if not ours or len(ours) != len(peer):
        raise ValueError(f"need matching non-empty pairs, got {len(ours)} and {len(peer)}")
    if any(value == 0 for value in peer):
        raise ValueError("a peer figure is 0: no ratio")
    ratios = [mine / theirs for mine, theirs in zip(ours, peer, strict=True)]
    return PairSummary(
        median(ours), median(peer), median(ratios), min(ratios), max(ratios), len(ours)
    )
