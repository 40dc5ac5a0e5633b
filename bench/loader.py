"""CPU of loading 100 keys through a DataLoader: our load_many, our load, Strawberry's load.

`python -m bench.loader`. Each iteration builds a fresh loader (loaders live for one
request), loads 100 distinct ints and awaits the answer, so the figure includes the batch's
dispatch and the load_fn call (which returns the keys). Rounds of the variants alternate;
each figure is the median over rounds of ``time.process_time()`` per iteration, in µs.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from strawberry.dataloader import DataLoader as StrawberryDataLoader

from loaders.dataloader import DataLoader

__all__ = ["main"]

ITERATIONS = 2000
ROUNDS = 20
KEYS = list(range(100))


async def _echo(keys: list[int]) -> list[int]:
    return keys


async def ours_load_many() -> None:
    values = await DataLoader(_echo).load_many(KEYS)
    assert values == KEYS


async def ours_load() -> None:
    loader = DataLoader(_echo)
    futures = [loader.load(key) for key in KEYS]
    values = [await future for future in futures]
    assert values == KEYS


async def strawberry_load() -> None:
    loader = StrawberryDataLoader(load_fn=_echo)
    futures = [loader.load(key) for key in KEYS]
    values = [await future for future in futures]
    assert values == KEYS


async def strawberry_load_many() -> None:
    values = await StrawberryDataLoader(load_fn=_echo).load_many(KEYS)
    assert values == KEYS


VARIANTS: dict[str, Callable[[], Awaitable[None]]] = {
    "ours load_many": ours_load_many,
    "ours load per key": ours_load,
    "strawberry load per key": strawberry_load,
    "strawberry load_many (gather)": strawberry_load_many,
}


async def _measure() -> dict[str, float]:
    """Median µs per iteration of each variant."""
    per_round = ITERATIONS // ROUNDS
    samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for variant in VARIANTS.values():  # warm up
        for _ in range(per_round):
            await variant()
    for _ in range(ROUNDS):
        for name, variant in VARIANTS.items():
            start = time.process_time()
            for _ in range(per_round):
                await variant()
            samples[name].append((time.process_time() - start) / per_round * 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    figures = asyncio.run(_measure())
    base = figures["ours load_many"]
    print(f"{ITERATIONS} iterations of 100 distinct keys, median process time per iteration:")
    for name, micros in figures.items():
        print(f"  {name:<30} {micros:8.1f} µs  ({micros / base:4.1f}x)")


if __name__ == "__main__":
    main()
