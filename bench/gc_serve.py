"""``vanta`` with every garbage collection timed: ``python -m bench.gc_serve serve ...``.

A full collection walks every object the process holds and runs on whichever thread
allocated, the event loop's included, so its pauses show in request latency. Each
collection of ``MIN_MS`` or longer is written to stderr (the server log) as
``GC_PAUSE <unix time> <generation> <ms> <collected>``; ``pauses`` reads them back.
gunicorn forks its workers from this process, so the callback is theirs too.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["MIN_MS", "pauses"]

MIN_MS = 1.0
_started = [0.0]


def _time_collections(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
        return
    ms = (time.perf_counter() - _started[0]) * 1000
    if ms >= MIN_MS:
        generation, collected = info["generation"], info["collected"]
        sys.stderr.write(f"GC_PAUSE {time.time():.3f} {generation} {ms:.2f} {collected}\n")
        sys.stderr.flush()


def pauses(log: Path, since: float, until: float) -> list[tuple[int, float]]:
    """(generation, ms) of the collections the log records between two unix times."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("GC_PAUSE "):
            _, at, generation, ms, _ = line.split()
            if since <= float(at) <= until:
                found.append((int(generation), float(ms)))
    return found


def main() -> int:
    gc.callbacks.append(_time_collections)
    from app.cli import main as vanta

    return vanta()


if __name__ == "__main__":
    sys.exit(main())
