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
        ("VANTA_ENV", "prod"),
        ("VANTA_RATE_LIMIT_PER_MINUTE", "-1"),
        ("VANTA_RATE_LIMIT_MAX_KEYS", "10"),
        ("VANTA_TRUSTED_PROXIES", "10.0.0.0/33"),
        ("VANTA_REQUEST_TIMEOUT_SECONDS", "soon"),
        ("VANTA_REQUEST_TIMEOUT_SECONDS", "nan"),
        ("VANTA_MAX_QUERY_DEPTH", "0"),
        ("VANTA_MAX_BATCH_OPERATIONS", "0"),
        ("VANTA_MAX_BODY_BYTES", "10"),
    ],
)
def test_bad_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_protection_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.rate_limit_per_minute, settings.rate_limit_per_hour) == (100, 1000)
    assert settings.trusted_proxies == ()
    assert settings.introspection
    assert (settings.max_query_depth, settings.max_aliases, settings.max_tokens) == (12, 30, 2000)
    assert (settings.max_query_cost, settings.max_batch_operations) == (20_000, 10)
    assert settings.max_body_bytes == 2 * 1024 * 1024
    assert settings.statement_timeout_ms == 5000 and settings.request_timeout_seconds == 10.0


def test_protection_values_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "VANTA_ENV": "production",
            "VANTA_RATE_LIMIT_PER_MINUTE": "5",
            "VANTA_RATE_LIMIT_PER_HOUR": "0",
            "VANTA_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7 ,::1",
            "VANTA_MAX_QUERY_COST": "500",
            "VANTA_REQUEST_TIMEOUT_SECONDS": "2.5",
        }
    )
    assert not settings.introspection
    assert (settings.rate_limit_per_minute, settings.rate_limit_per_hour) == (5, 0)
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.0/8", "192.168.1.7/32", "::1/128"]
    assert settings.max_query_cost == 500 and settings.request_timeout_seconds == 2.5
