"""Replica settings: read from VANTA_*, and a bad value stops start-up naming the variable."""

from __future__ import annotations

import pytest

from app.config import ConfigError, Settings

PRIMARY = {"VANTA_DATABASE_URL": "postgresql://app@primary/vanta"}


def test_replicas_and_their_bounds_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            **PRIMARY,
            "VANTA_DATABASE_REPLICA_URLS": "postgresql://app@r1/vanta, postgres://app@r2:6432/vanta",
            "VANTA_READ_YOUR_WRITES_SECONDS": "8",
            "VANTA_REPLICA_MAX_LAG_SECONDS": "2.5",
            "VANTA_REPLICA_POLL_SECONDS": "0.5",
        }
    )
    assert settings.database_replica_urls == (
        "postgresql://app@r1/vanta",
        "postgres://app@r2:6432/vanta",
    )
    assert settings.read_your_writes_seconds == 8.0
    assert settings.replica_max_lag_seconds == 2.5
    assert settings.replica_poll_seconds == 0.5


def test_defaults_have_no_replica() -> None:
    settings = Settings.from_env(PRIMARY)
    assert settings.database_replica_urls == ()
    assert settings.read_your_writes_seconds == 5.0
    assert settings.replica_max_lag_seconds == 5.0


def test_the_password_of_a_replica_url_stays_out_of_repr() -> None:
    settings = Settings.from_env(
        {**PRIMARY, "VANTA_DATABASE_REPLICA_URLS": "postgresql://app:s3cret@r1/vanta"}
    )
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"VANTA_DATABASE_REPLICA_URLS": "mysql://r1/db"}, "VANTA_DATABASE_REPLICA_URLS"),
        ({"VANTA_DATABASE_REPLICA_URLS": "r1:5432"}, "VANTA_DATABASE_REPLICA_URLS"),
        (
            {"VANTA_DATABASE_REPLICA_URLS": "postgresql://r1/db,postgresql://r1/db"},
            "VANTA_DATABASE_REPLICA_URLS",
        ),
        ({"VANTA_REPLICA_MAX_LAG_SECONDS": "0"}, "VANTA_REPLICA_MAX_LAG_SECONDS"),
        ({"VANTA_READ_YOUR_WRITES_SECONDS": "-1"}, "VANTA_READ_YOUR_WRITES_SECONDS"),
        ({"VANTA_REPLICA_POLL_SECONDS": "soon"}, "VANTA_REPLICA_POLL_SECONDS"),
        (
            {
                "VANTA_DATABASE_REPLICA_URLS": "postgresql://r1/db",
                "VANTA_READ_YOUR_WRITES_SECONDS": "2",
                "VANTA_REPLICA_MAX_LAG_SECONDS": "10",
            },
            "VANTA_READ_YOUR_WRITES_SECONDS",
        ),
    ],
)
def test_bad_replica_settings_name_their_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env({**PRIMARY, **env})


def test_replicas_need_an_explicit_primary() -> None:
    with pytest.raises(ConfigError, match="VANTA_DATABASE_REPLICA_URLS needs VANTA_DATABASE_URL"):
        Settings.from_env({"VANTA_DATABASE_REPLICA_URLS": "postgresql://r1/db"})


def test_a_bad_url_is_shown_without_its_password() -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({**PRIMARY, "VANTA_DATABASE_REPLICA_URLS": "mysql://u:s3cret@r1/db"})
    assert "s3cret" not in str(raised.value)
