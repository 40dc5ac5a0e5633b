"""Apps with rate limiting on, built through create_app like production."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app.config import Settings
from app.server import create_app
from tests.world import World

StartApp = Callable[..., AbstractAsyncContextManager[TestClient]]


@pytest.fixture
def start_app(settings: Settings, world: World) -> StartApp:
    """``async with start_app(rate_limit_per_minute=3, ...) as client``: a fresh app."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[TestClient]:
        client = TestClient(TestServer(create_app(replace(settings, **overrides))))
        await client.start_server()
        try:
            yield client
        finally:
            await client.close()

    return start
