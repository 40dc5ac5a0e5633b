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


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"{name} must be positive, got {raw!r}")
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


def _existing_file(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name)
    if not raw:
        return None
    path = Path(raw)
    if not path.is_file():
        raise ConfigError(f"{name} names {raw!r}, which is not a readable file")
    return path


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
    max_page_size: int = 100
    db_pool_min: int = 2
    db_pool_max: int = 10
    # None: seed the demo dataset into an empty embedded database only.
    seed_demo: bool | None = None
    redis_prefix: str = "vanta:"  # namespace of every key this server writes to Redis
    redis_retry_seconds: float = 1.0  # after a Redis failure, skip Redis this long
    cache_enabled: bool = True
    cache_ttl_seconds: int = 60
    cache_max_bytes: int = 64 * 1024 * 1024  # in-process backend only
    apq_ttl_seconds: int = 24 * 3600
    apq_max_bytes: int = 16 * 1024 * 1024  # in-process backend only
    trusted_documents: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``env`` (default ``os.environ``); raise ConfigError on bad values."""
        env = os.environ if env is None else env
        backend = env.get("VANTA_METADATA_BACKEND", "postgres") or "postgres"
        if backend not in ("postgres", "mongo"):
            raise ConfigError(f"VANTA_METADATA_BACKEND must be postgres or mongo, got {backend!r}")
        if backend == "mongo" and not env.get("VANTA_MONGODB_URL"):
            raise ConfigError("VANTA_METADATA_BACKEND=mongo needs VANTA_MONGODB_URL")
        loaders = (env.get("VANTA_LOADERS", "on") or "on").strip().lower()
        if loaders not in ("on", "off"):
            raise ConfigError(f"VANTA_LOADERS must be on or off, got {loaders!r}")
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
            max_page_size=_int(env, "VANTA_MAX_PAGE_SIZE", 100, minimum=1),
            db_pool_min=pool_min,
            db_pool_max=pool_max,
            seed_demo=_flag(env, "VANTA_SEED_DEMO", False) if env.get("VANTA_SEED_DEMO") else None,
            redis_prefix=env.get("VANTA_REDIS_PREFIX") or "vanta:",
            redis_retry_seconds=_positive_float(env, "VANTA_REDIS_RETRY_SECONDS", 1.0),
            cache_enabled=_flag(env, "VANTA_CACHE", True),
            cache_ttl_seconds=_int(env, "VANTA_CACHE_TTL", 60, minimum=0),
            cache_max_bytes=_int(env, "VANTA_CACHE_MAX_BYTES", 64 * 1024 * 1024, minimum=0),
            apq_ttl_seconds=_int(env, "VANTA_APQ_TTL", 24 * 3600, minimum=1),
            apq_max_bytes=_int(env, "VANTA_APQ_MAX_BYTES", 16 * 1024 * 1024, minimum=1),
            trusted_documents=_existing_file(env, "VANTA_TRUSTED_DOCUMENTS"),
        )
