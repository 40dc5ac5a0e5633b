"""``vanta serve`` under gunicorn: one master, N aiohttp workers, graceful SIGTERM.

The master is the ``vanta serve`` process itself: it has already started the embedded
PostgreSQL (if any), migrated and seeded before gunicorn forks, so workers only connect.
Each worker builds its own app (pools, caches, rate limiter) after the fork.

Example::

    serve_with_gunicorn(settings, make_app)   # returns when the master has stopped

What is per worker without Redis: the in-process rate limiter (each worker counts its own
budget, so a client gets up to N times the configured rate), the APQ store and the response
cache's entries; invalidations reach every worker over PostgreSQL ``NOTIFY``
(app/events/cache_bus.py).
"""

from __future__ import annotations

import importlib.util
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from gunicorn.app.base import BaseApplication

from app.config import Settings

__all__ = ["serve_with_gunicorn", "worker_class"]

log = logging.getLogger("vanta.process")

AppFactory = Callable[[], Awaitable[web.Application]]


def worker_class() -> str:
    """aiohttp's uvloop worker when uvloop is installed, else its asyncio worker."""
    if importlib.util.find_spec("uvloop") is not None:
        return "aiohttp.GunicornUVLoopWebWorker"
    return "aiohttp.GunicornWebWorker"


class _Gunicorn(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
    """gunicorn's embedding API: options from us, never from ``sys.argv``."""

    def __init__(self, factory: AppFactory, options: dict[str, Any]) -> None:
        self._factory = factory
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self._options.items():
            self.cfg.set(name, value)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn >= 25 opens a control socket in $HOME by default: one path shared by
            # every server of the user. We manage nothing through it.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> AppFactory:
        return self._factory  # the aiohttp worker awaits it once per worker, after the fork


def serve_with_gunicorn(settings: Settings, factory: AppFactory) -> None:
    """Run the gunicorn master in this process until SIGTERM/SIGINT (then drain and exit).

    Args:
        settings: ``host``, ``port``, ``workers`` and ``shutdown_seconds`` are read.
        factory: builds one worker's application; awaited in each worker.
    """
    options: dict[str, Any] = {
        "bind": f"[{settings.host}]:{settings.port}"
        if ":" in settings.host
        else f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "worker_class": worker_class(),
        # SIGTERM: stop accepting, let in-flight requests finish for this long, then kill.
        # aiohttp's worker waits 95% of it for its handlers.
        "graceful_timeout": math.ceil(settings.shutdown_seconds),
        # A worker that stops answering gunicorn's heartbeat this long is replaced.
        "timeout": max(30, math.ceil(settings.request_timeout_seconds * 3)),
        "proc_name": "vanta",
        "accesslog": None,
        "loglevel": "info",
    }
    _Gunicorn(factory, options).run()
