"""Quotas and the GCRA decision both limiters share, so Redis and in-process agree exactly.

GCRA (generic cell rate algorithm) keeps one number per quota and client: the theoretical
arrival time (TAT). A quota of ``limit`` requests per ``period`` spaces requests
``period / limit`` apart and allows a burst of ``limit``; a request is refused when it would
push the TAT more than ``period`` ahead of now. Times here are integer microseconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from app.config import Settings

__all__ = ["Decision", "Quota", "decide", "quotas_from"]

MICROS = 1_000_000


@dataclass(frozen=True, slots=True)
class Quota:
    """``limit`` requests per ``period_us`` microseconds."""

    limit: int
    period_us: int

    def __post_init__(self) -> None:
        if self.limit < 1 or self.period_us < self.limit:
            raise ValueError(f"quota needs limit >= 1 and period_us >= limit, got {self}")

    @property
    def interval_us(self) -> int:
        return self.period_us // self.limit


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer for one request, reported for the quota closest to refusing."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: float  # until that quota is whole again
    retry_after_seconds: float = 0.0  # only when refused

    def headers(self) -> dict[str, str]:
        """``RateLimit-*`` (IETF draft) headers, plus ``Retry-After`` when refused."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(math.ceil(self.reset_seconds)),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after_seconds)))
        return headers


def quotas_from(settings: Settings) -> tuple[Quota, ...]:
    """Per-minute and per-hour quotas from settings; a limit of 0 turns its window off."""
    windows = ((settings.rate_limit_per_minute, 60), (settings.rate_limit_per_hour, 3600))
    return tuple(Quota(limit, seconds * MICROS) for limit, seconds in windows if limit > 0)


def decide(
    quotas: Sequence[Quota], now_us: int, tats: Sequence[int]
) -> tuple[Decision, list[int] | None]:
    """The decision and the new TATs to store (None when refused: a refusal costs nothing).

    ``tats`` holds one stored TAT per quota (0 when the client is unknown).
    """
    new_tats: list[int] = []
    refused: tuple[int, int] | None = None  # (retry_us, quota index)
    for index, (quota, stored) in enumerate(zip(quotas, tats, strict=True)):
        new_tat = max(stored, now_us) + quota.interval_us
        allow_at = new_tat - quota.period_us
        if allow_at > now_us and (refused is None or allow_at - now_us > refused[0]):
            refused = (allow_at - now_us, index)
        new_tats.append(new_tat)
    if refused is not None:
        retry_us, index = refused
        quota = quotas[index]
        reset_us = max(tats[index] - now_us, 0)
        return Decision(False, quota.limit, 0, reset_us / MICROS, retry_us / MICROS), None
    best: Decision | None = None
    for quota, new_tat in zip(quotas, new_tats, strict=True):
        remaining = (quota.period_us - (new_tat - now_us)) // quota.interval_us
        if best is None or remaining < best.remaining:
            best = Decision(True, quota.limit, remaining, (new_tat - now_us) / MICROS)
    assert best is not None, "at least one quota"
    return best, new_tats
