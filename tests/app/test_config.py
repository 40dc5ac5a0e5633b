"""Settings come from VANTA_* variables; bad values fail at start, naming the variable."""

from __future__ import annotations

import pytest

from app.config import ConfigError, Settings


def test_defaults_are_safe_for_local_use() -> None:
    settings = Settings.from_env({})
    assert settings.database_url is None  # embedded PostgreSQL
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.loaders_enabled and not settings.debug
    assert settings.fastpath_enabled
    assert settings.max_page_size == 100
    assert settings.jwt_secret is None and settings.seed_demo is None


def test_values_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "VANTA_DATABASE_URL": "postgresql://x@h/db",
            "VANTA_PORT": "9001",
            "VANTA_DEBUG": "1",
            "VANTA_LOADERS": "off",
            "VANTA_FASTPATH": "off",
            "VANTA_MAX_PAGE_SIZE": "50",
            "VANTA_JWT_SECRET": "s" * 32,
            "VANTA_SEED_DEMO": "0",
        }
    )
    assert settings.database_url == "postgresql://x@h/db"
    assert settings.port == 9001 and settings.debug and not settings.loaders_enabled
    assert not settings.fastpath_enabled
    assert settings.max_page_size == 50 and settings.jwt_secret == "s" * 32
    assert settings.seed_demo is False


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VANTA_PORT", "http"),
        ("VANTA_PORT", "-1"),
        ("VANTA_DEBUG", "maybe"),
        ("VANTA_LOADERS", "sometimes"),
        ("VANTA_FASTPATH", "fast"),
        ("VANTA_METADATA_BACKEND", "sqlite"),
        ("VANTA_JWT_SECRET", "short"),
        ("VANTA_MAX_PAGE_SIZE", "0"),
        ("VANTA_DB_POOL_MIN", "20"),
    ],
)
def test_bad_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})
