"""Typed settings, read from ``VANTA_*`` environment variables once at start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ConfigError", "Settings"]


class ConfigError(ValueError):
    """A configuration variable holds a value the server cannot use; the message names it."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be one of 1/0/true/false/on/off, got {raw!r}")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server reads from its environment, validated."""

    database_url: str | None = None
    data_dir: Path = Path(".vanta")
    redis_url: str | None = None
    mongodb_url: str | None = None
    metadata_backend: str = "postgres"
    # None: a development secret kept in data_dir (see app.auth.jwt_secret_for).
    jwt_secret: str | None = field(default=None, repr=False)
    host: str = "127.0.0.1"
    port: int = 8000
    debug: bool = False
    loaders_enabled: bool = True
    # Compiled execution plans for supported queries (app/fastpath); off: stock only.
    fastpath_enabled: bool = True
    max_page_size: int = 100
    db_pool_min: int = 2
    db_pool_max: int = 10
    # None: seed the demo dataset into an empty embedded database only.
    seed_demo: bool | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``env`` (default ``os.environ``); raise ConfigError on bad values."""
        env = os.environ if env is None else env
        backend = env.get("VANTA_METADATA_BACKEND", "postgres") or "postgres"
        if backend not in ("postgres", "mongo"):
            raise ConfigError(f"VANTA_METADATA_BACKEND must be postgres or mongo, got {backend!r}")
        loaders = (env.get("VANTA_LOADERS", "on") or "on").strip().lower()
        if loaders not in ("on", "off"):
            raise ConfigError(f"VANTA_LOADERS must be on or off, got {loaders!r}")
        fastpath = (env.get("VANTA_FASTPATH", "on") or "on").strip().lower()
        if fastpath not in ("on", "off"):
            raise ConfigError(f"VANTA_FASTPATH must be on or off, got {fastpath!r}")
        secret = env.get("VANTA_JWT_SECRET") or ""
        if secret and len(secret.encode()) < 32:
            raise ConfigError(
                "VANTA_JWT_SECRET must be at least 32 bytes long (HS256 key length, RFC 7518 3.2)"
            )
        pool_min = _int(env, "VANTA_DB_POOL_MIN", 2, minimum=0)
        pool_max = _int(env, "VANTA_DB_POOL_MAX", 10, minimum=1)
        if pool_min > pool_max:
            raise ConfigError("VANTA_DB_POOL_MIN must not exceed VANTA_DB_POOL_MAX")
        return cls(
            database_url=env.get("VANTA_DATABASE_URL") or None,
            data_dir=Path(env.get("VANTA_DATA_DIR") or ".vanta"),
            redis_url=env.get("VANTA_REDIS_URL") or None,
            mongodb_url=env.get("VANTA_MONGODB_URL") or None,
            metadata_backend=backend,
            jwt_secret=secret or None,
            host=env.get("VANTA_HOST") or "127.0.0.1",
            port=_int(env, "VANTA_PORT", 8000, minimum=0),
            debug=_flag(env, "VANTA_DEBUG", False),
            loaders_enabled=loaders == "on",
            fastpath_enabled=fastpath == "on",
            max_page_size=_int(env, "VANTA_MAX_PAGE_SIZE", 100, minimum=1),
            db_pool_min=pool_min,
            db_pool_max=pool_max,
            seed_demo=_flag(env, "VANTA_SEED_DEMO", False) if env.get("VANTA_SEED_DEMO") else None,
        )
