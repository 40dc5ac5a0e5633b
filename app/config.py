"""Typed settings, read from ``VANTA_*`` environment variables once at start."""

from __future__ import annotations

import importlib.util
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_UPLOAD_BYTES",
    "ENVIRONMENTS",
    "KNOWN_VARIABLES",
    "ConfigError",
    "IPNetwork",
    "Settings",
    "unknown_variables",
]

ENVIRONMENTS = ("development", "production")
# Room for a 1 MB uploadDocument content plus JSON escaping.
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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


def _float(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not value >= minimum or value == float("inf"):
        raise ConfigError(f"{name} must be a finite number >= {minimum}, got {raw!r}")
    return value


def _networks(env: Mapping[str, str], name: str) -> tuple[IPNetwork, ...]:
    """A comma-separated CIDR list (a bare address is a /32 or /128)."""
    networks = []
    for item in (env.get(name) or "").split(","):
        if item.strip():
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise ConfigError(f"{name} must list CIDR networks, got {item.strip()!r}") from None
    return tuple(networks)


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


def _origins(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated exact origins (``scheme://host[:port]``), or ``*`` alone."""
    origins = tuple(item.strip().rstrip("/") for item in (env.get(name) or "").split(","))
    origins = tuple(origin for origin in origins if origin)
    if "*" in origins:
        if len(origins) > 1:
            raise ConfigError(f"{name}: '*' allows every origin and cannot be combined with others")
        return origins
    for origin in origins:
        scheme, sep, rest = origin.partition("://")
        if scheme not in ("http", "https") or not sep or not rest or "/" in rest:
            raise ConfigError(
                f"{name} must list origins like https://app.example.com or "
                f"http://localhost:5173 (scheme, host, optional port), got {origin!r}"
            )
    return origins


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
    # Compiled execution plans for supported queries (app/fastpath); off: stock only.
    fastpath_enabled: bool = True
    max_page_size: int = 100
    db_pool_min: int = 2
    db_pool_max: int = 10
    # None: seed the demo dataset into an empty embedded database only.
    seed_demo: bool | None = None
    cache_enabled: bool = True
    cache_ttl_seconds: int = 60
    cache_max_bytes: int = 64 * 1024 * 1024  # in-process backend only
    apq_ttl_seconds: int = 24 * 3600
    apq_max_bytes: int = 16 * 1024 * 1024  # in-process backend only
    # Parsed, validated and planned documents kept per process (app.documents.prepared).
    document_cache_max_bytes: int = 32 * 1024 * 1024
    # ... and at most this many garbage-collector objects: each full collection walks them.
    document_cache_max_objects: int = 50_000
    trusted_documents: Path | None = None
    environment: str = "development"  # "production" turns introspection off
    # Rate limiting (0 turns a window off); keyed by token subject, else client IP.
    rate_limit_per_minute: int = 100
    rate_limit_per_hour: int = 1000
    rate_limit_max_keys: int = 32_768  # in-process limiter: hard cap on tracked clients
    trusted_proxies: tuple[IPNetwork, ...] = ()
    redis_prefix: str = "vanta:"  # namespace of every key this server writes to Redis
    redis_retry_seconds: float = 1.0  # after a Redis failure, skip Redis this long
    # Query limits, checked during validation, before anything executes.
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2000
    max_query_cost: int = 20_000
    max_batch_operations: int = 10
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # Time bounds: execution as a whole, one SQL statement, waiting for the database.
    request_timeout_seconds: float = 10.0
    statement_timeout_ms: int = 5000
    db_acquire_timeout_seconds: float = 2.0
    db_connect_timeout_seconds: float = 3.0
    # Hardening (issue 14): document prechecks that bound validation before it runs
    # (app/documents/precheck.py).
    max_selections: int = 40  # per selection set
    max_fields: int = 200  # in the whole document
    max_fragment_spreads: int = 30
    max_directives: int = 50
    # Idle bound of a connection: from its start or its last response until the next
    # request's headers are complete (aiohttp's keep-alive timer covers both).
    keepalive_seconds: float = 15.0
    # Document intake and processing (issue 11): uploads, the job queue, the NLP pipeline.
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES  # one uploaded file, checked while streaming
    job_workers: int = 1  # processing processes `vanta serve` runs (0: leave it to `vanta worker`)
    job_max_attempts: int = 3  # then the document is `failed` with the last reason
    job_lease_seconds: float = 60.0  # a claim not renewed this long is taken over
    job_retry_base_seconds: float = 5.0  # back-off: base * 2**(attempt - 1)
    job_poll_seconds: float = 5.0  # idle workers look for due retries and expired leases
    spacy_model: str | None = None  # an installed trained pipeline (e.g. en_core_web_sm)
    risk_amount_threshold: Decimal = Decimal("1000000")  # KES, unless the company sets its own
    # Real-time (subscriptions over WebSocket and SSE, the NOTIFY listener); see
    # _realtime_from_env at the end of this module.
    subscription_max_connections: int = 5000  # per process, WebSocket + SSE
    subscription_max_connections_per_token: int = 10  # per token subject, per process
    subscription_max_per_connection: int = 10
    subscription_init_timeout_seconds: float = 10.0  # connection_init must come within
    subscription_keepalive_seconds: float = 15.0  # WebSocket ping / SSE heartbeat interval
    subscription_max_message_bytes: int = 65536  # largest WebSocket message accepted
    subscription_max_pending: int = 100  # events queued per subscription before it is ended
    replay_slack_seconds: float = 30.0  # replay window before the listener's last sign of life
    listener_health_seconds: float = 5.0
    # --- Frontend-facing extras (issue 13): CORS, compression, processes, GraphiQL ---
    # Origins allowed to call the API from a browser: exact origins, or ("*",) without
    # credentials; empty: no CORS headers at all (same-origin pages and non-browsers only).
    cors_origins: tuple[str, ...] = ()
    compression: bool = True  # gzip/br for responses over COMPRESS_MIN_BYTES when accepted
    workers: int = 1  # gunicorn worker processes under `vanta serve`
    # SIGTERM: in-flight requests get this long to finish, and open subscription
    # connections are told and closed within it (vanta serve exits within 5 s by default).
    shutdown_seconds: float = 4.0
    # None: GraphiQL in development, off in production (VANTA_GRAPHIQL=on|off overrides).
    graphiql: bool | None = None
    # --- Read replicas (issue 16): see _replicas at the end of this module ---
    database_replica_urls: tuple[str, ...] = field(default=(), repr=False)  # DSNs hold passwords
    read_your_writes_seconds: float = 5.0  # a subject's reads after its write go to the primary
    replica_max_lag_seconds: float = 5.0  # a replica further behind is skipped
    replica_poll_seconds: float = 1.0  # how often each replica's state and lag are measured

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else self.environment != "production"

    @property
    def introspection(self) -> bool:
        return self.environment != "production"

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
        environment = (env.get("VANTA_ENV") or "development").strip().lower()
        if environment not in ENVIRONMENTS:
            raise ConfigError(
                f"VANTA_ENV must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}"
            )
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
            cache_enabled=_flag(env, "VANTA_CACHE", True),
            cache_ttl_seconds=_int(env, "VANTA_CACHE_TTL", 60, minimum=0),
            cache_max_bytes=_int(env, "VANTA_CACHE_MAX_BYTES", 64 * 1024 * 1024, minimum=0),
            apq_ttl_seconds=_int(env, "VANTA_APQ_TTL", 24 * 3600, minimum=1),
            apq_max_bytes=_int(env, "VANTA_APQ_MAX_BYTES", 16 * 1024 * 1024, minimum=1),
            document_cache_max_bytes=_int(
                env, "VANTA_DOCUMENT_CACHE_MAX_BYTES", 32 * 1024 * 1024, minimum=0
            ),
            document_cache_max_objects=_int(
                env, "VANTA_DOCUMENT_CACHE_MAX_OBJECTS", 50_000, minimum=0
            ),
            trusted_documents=_existing_file(env, "VANTA_TRUSTED_DOCUMENTS"),
            environment=environment,
            rate_limit_per_minute=_int(env, "VANTA_RATE_LIMIT_PER_MINUTE", 100),
            rate_limit_per_hour=_int(env, "VANTA_RATE_LIMIT_PER_HOUR", 1000),
            rate_limit_max_keys=_int(env, "VANTA_RATE_LIMIT_MAX_KEYS", 32_768, minimum=100),
            trusted_proxies=_networks(env, "VANTA_TRUSTED_PROXIES"),
            redis_prefix=env.get("VANTA_REDIS_PREFIX") or "vanta:",
            redis_retry_seconds=_float(env, "VANTA_REDIS_RETRY_SECONDS", 1.0),
            max_query_depth=_int(env, "VANTA_MAX_QUERY_DEPTH", 12, minimum=1),
            max_aliases=_int(env, "VANTA_MAX_ALIASES", 30),
            max_tokens=_int(env, "VANTA_MAX_TOKENS", 2000, minimum=1),
            max_query_cost=_int(env, "VANTA_MAX_QUERY_COST", 20_000, minimum=1),
            max_batch_operations=_int(env, "VANTA_MAX_BATCH_OPERATIONS", 10, minimum=1),
            max_body_bytes=_int(env, "VANTA_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, minimum=1024),
            request_timeout_seconds=_float(
                env, "VANTA_REQUEST_TIMEOUT_SECONDS", 10.0, minimum=0.001
            ),
            statement_timeout_ms=_int(env, "VANTA_STATEMENT_TIMEOUT_MS", 5000),
            db_acquire_timeout_seconds=_float(
                env, "VANTA_DB_ACQUIRE_TIMEOUT_SECONDS", 2.0, minimum=0.001
            ),
            db_connect_timeout_seconds=_float(
                env, "VANTA_DB_CONNECT_TIMEOUT_SECONDS", 3.0, minimum=0.001
            ),
            **_hardening(env),
            **_processing(env),
            **_realtime_from_env(env),
            **_frontend(env),
            **_replicas(env),
        )


def _hardening(env: Mapping[str, str]) -> dict[str, object]:
    """Settings of issue 14, in a block of their own."""
    return {
        "max_selections": _int(env, "VANTA_MAX_SELECTIONS", 40, minimum=1),
        "max_fields": _int(env, "VANTA_MAX_FIELDS", 200, minimum=1),
        "max_fragment_spreads": _int(env, "VANTA_MAX_FRAGMENT_SPREADS", 30, minimum=1),
        "max_directives": _int(env, "VANTA_MAX_DIRECTIVES", 50, minimum=1),
        "keepalive_seconds": _float(env, "VANTA_KEEPALIVE_SECONDS", 15.0, minimum=0.001),
    }


def _processing(env: Mapping[str, str]) -> dict[str, object]:
    """Settings of issue 11 (document intake and processing), in a block of their own."""
    model = (env.get("VANTA_SPACY_MODEL") or "").strip() or None
    # find_spec only locates the package: spaCy itself is never imported by the server.
    if model is not None and importlib.util.find_spec(model) is None:
        raise ConfigError(f"VANTA_SPACY_MODEL names {model!r}, which is not an installed package")
    raw_threshold = env.get("VANTA_RISK_AMOUNT_THRESHOLD") or "1000000"
    try:
        threshold = Decimal(raw_threshold)
    except InvalidOperation:
        threshold = Decimal("NaN")
    if not threshold.is_finite() or threshold < 0:
        raise ConfigError(
            f"VANTA_RISK_AMOUNT_THRESHOLD must be a non-negative amount, got {raw_threshold!r}"
        )
    return {
        "max_upload_bytes": _int(
            env, "VANTA_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES, minimum=1
        ),
        "job_workers": _int(env, "VANTA_JOB_WORKERS", 1),
        "job_max_attempts": _int(env, "VANTA_JOB_MAX_ATTEMPTS", 3, minimum=1),
        "job_lease_seconds": _float(env, "VANTA_JOB_LEASE_SECONDS", 60.0, minimum=1.0),
        "job_retry_base_seconds": _float(env, "VANTA_JOB_RETRY_BASE_SECONDS", 5.0),
        "job_poll_seconds": _float(env, "VANTA_JOB_POLL_SECONDS", 5.0, minimum=0.05),
        "spacy_model": model,
        "risk_amount_threshold": threshold,
    }


def _realtime_from_env(env: Mapping[str, str]) -> dict[str, int | float]:
    """The real-time settings block (subscriptions, listener, shutdown)."""
    return {
        "subscription_max_connections": _int(
            env, "VANTA_SUBSCRIPTION_MAX_CONNECTIONS", 5000, minimum=1
        ),
        "subscription_max_connections_per_token": _int(
            env, "VANTA_SUBSCRIPTION_MAX_CONNECTIONS_PER_TOKEN", 10, minimum=1
        ),
        "subscription_max_per_connection": _int(
            env, "VANTA_MAX_SUBSCRIPTIONS_PER_CONNECTION", 10, minimum=1
        ),
        "subscription_init_timeout_seconds": _float(
            env, "VANTA_SUBSCRIPTION_INIT_TIMEOUT_SECONDS", 10.0, minimum=0.001
        ),
        "subscription_keepalive_seconds": _float(
            env, "VANTA_SUBSCRIPTION_KEEPALIVE_SECONDS", 15.0, minimum=0.01
        ),
        "subscription_max_message_bytes": _int(
            env, "VANTA_SUBSCRIPTION_MAX_MESSAGE_BYTES", 65536, minimum=1024
        ),
        "subscription_max_pending": _int(env, "VANTA_SUBSCRIPTION_MAX_PENDING", 100, minimum=1),
        "replay_slack_seconds": _float(env, "VANTA_REPLAY_SLACK_SECONDS", 30.0),
        "listener_health_seconds": _float(env, "VANTA_LISTENER_HEALTH_SECONDS", 5.0, minimum=0.01),
    }


# Every variable the server reads; anything else under VANTA_ is reported at start (typos).
KNOWN_VARIABLES = frozenset(
    (
        "VANTA_APQ_MAX_BYTES",
        "VANTA_APQ_TTL",
        "VANTA_CACHE",
        "VANTA_CACHE_MAX_BYTES",
        "VANTA_CACHE_TTL",
        "VANTA_COMPRESSION",
        "VANTA_CORS_ORIGINS",
        "VANTA_DATABASE_REPLICA_URLS",
        "VANTA_DATABASE_URL",
        "VANTA_DATA_DIR",
        "VANTA_DB_ACQUIRE_TIMEOUT_SECONDS",
        "VANTA_DB_CONNECT_TIMEOUT_SECONDS",
        "VANTA_DB_POOL_MAX",
        "VANTA_DB_POOL_MIN",
        "VANTA_DEBUG",
        "VANTA_DOCUMENT_CACHE_MAX_BYTES",
        "VANTA_DOCUMENT_CACHE_MAX_OBJECTS",
        "VANTA_ENV",
        "VANTA_FASTPATH",
        "VANTA_GRAPHIQL",
        "VANTA_HOST",
        "VANTA_JOB_LEASE_SECONDS",
        "VANTA_JOB_MAX_ATTEMPTS",
        "VANTA_JOB_POLL_SECONDS",
        "VANTA_JOB_RETRY_BASE_SECONDS",
        "VANTA_JOB_WORKERS",
        "VANTA_JWT_SECRET",
        "VANTA_KEEPALIVE_SECONDS",
        "VANTA_LISTENER_HEALTH_SECONDS",
        "VANTA_LOADERS",
        "VANTA_MAX_ALIASES",
        "VANTA_MAX_BATCH_OPERATIONS",
        "VANTA_MAX_BODY_BYTES",
        "VANTA_MAX_DIRECTIVES",
        "VANTA_MAX_FIELDS",
        "VANTA_MAX_FRAGMENT_SPREADS",
        "VANTA_MAX_PAGE_SIZE",
        "VANTA_MAX_QUERY_COST",
        "VANTA_MAX_QUERY_DEPTH",
        "VANTA_MAX_SELECTIONS",
        "VANTA_MAX_SUBSCRIPTIONS_PER_CONNECTION",
        "VANTA_MAX_TOKENS",
        "VANTA_MAX_UPLOAD_BYTES",
        "VANTA_METADATA_BACKEND",
        "VANTA_MONGODB_URL",
        "VANTA_PORT",
        "VANTA_RATE_LIMIT_MAX_KEYS",
        "VANTA_RATE_LIMIT_PER_HOUR",
        "VANTA_RATE_LIMIT_PER_MINUTE",
        "VANTA_REDIS_PREFIX",
        "VANTA_REDIS_RETRY_SECONDS",
        "VANTA_REDIS_URL",
        "VANTA_READ_YOUR_WRITES_SECONDS",
        "VANTA_REPLAY_SLACK_SECONDS",
        "VANTA_REPLICA_MAX_LAG_SECONDS",
        "VANTA_REPLICA_POLL_SECONDS",
        "VANTA_REQUEST_TIMEOUT_SECONDS",
        "VANTA_RISK_AMOUNT_THRESHOLD",
        "VANTA_SEED_DEMO",
        "VANTA_SHUTDOWN_SECONDS",
        "VANTA_SPACY_MODEL",
        "VANTA_STATEMENT_TIMEOUT_MS",
        "VANTA_SUBSCRIPTION_INIT_TIMEOUT_SECONDS",
        "VANTA_SUBSCRIPTION_KEEPALIVE_SECONDS",
        "VANTA_SUBSCRIPTION_MAX_CONNECTIONS",
        "VANTA_SUBSCRIPTION_MAX_CONNECTIONS_PER_TOKEN",
        "VANTA_SUBSCRIPTION_MAX_MESSAGE_BYTES",
        "VANTA_SUBSCRIPTION_MAX_PENDING",
        "VANTA_TRUSTED_DOCUMENTS",
        "VANTA_TRUSTED_PROXIES",
        "VANTA_WORKERS",
    )
)
# Read by the test suite and the benchmark, not by the server.
_OTHER_PREFIXES = ("VANTA_TEST_", "VANTA_BENCH_")


def unknown_variables(env: Mapping[str, str]) -> list[str]:
    """One line per unknown ``VANTA_*`` name in ``env``, with the closest known name if any."""
    import difflib

    lines = []
    for name in sorted(env):
        if not name.startswith("VANTA_") or name in KNOWN_VARIABLES:
            continue
        if name.startswith(_OTHER_PREFIXES):
            continue
        close = difflib.get_close_matches(name, KNOWN_VARIABLES, n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]}?)" if close else ""
        lines.append(f"unknown setting {name} is ignored{hint}")
    return lines


def _frontend(env: Mapping[str, str]) -> dict[str, object]:
    """Settings of issue 13 (CORS, compression, processes, GraphiQL), in a block of their own."""
    return {
        "cors_origins": _origins(env, "VANTA_CORS_ORIGINS"),
        "compression": _flag(env, "VANTA_COMPRESSION", True),
        "workers": _int(env, "VANTA_WORKERS", 1, minimum=1),
        "shutdown_seconds": _float(env, "VANTA_SHUTDOWN_SECONDS", 4.0, minimum=0.1),
        "graphiql": _flag(env, "VANTA_GRAPHIQL", False) if env.get("VANTA_GRAPHIQL") else None,
    }


def _replicas(env: Mapping[str, str]) -> dict[str, object]:
    """Settings of issue 16 (read replicas), in a block of their own."""
    name = "VANTA_DATABASE_REPLICA_URLS"
    urls = tuple(item.strip() for item in (env.get(name) or "").split(",") if item.strip())
    for url in urls:
        scheme, sep, rest = url.partition("://")
        if scheme not in ("postgres", "postgresql") or not sep or not rest:
            shown = url.split("@")[-1]  # never echo a password
            raise ConfigError(
                f"{name} must list PostgreSQL URLs (postgresql://user@host:port/db), got {shown!r}"
            )
    if urls and not env.get("VANTA_DATABASE_URL"):
        raise ConfigError(
            f"{name} needs VANTA_DATABASE_URL (the primary they replicate): the embedded "
            "PostgreSQL has no replicas"
        )
    if len(set(urls)) != len(urls):
        raise ConfigError(f"{name} lists the same replica twice")
    ryw = _float(env, "VANTA_READ_YOUR_WRITES_SECONDS", 5.0)
    max_lag = _float(env, "VANTA_REPLICA_MAX_LAG_SECONDS", 5.0, minimum=0.001)
    if urls and 0 < ryw < max_lag:
        raise ConfigError(
            f"VANTA_READ_YOUR_WRITES_SECONDS ({ryw:g}) is below VANTA_REPLICA_MAX_LAG_SECONDS "
            f"({max_lag:g}): a replica within the lag bound could still miss a user's own "
            "write; raise it, or lower the lag bound (0 turns read-your-writes off)"
        )
    return {
        "database_replica_urls": urls,
        "read_your_writes_seconds": ryw,
        "replica_max_lag_seconds": max_lag,
        "replica_poll_seconds": _float(env, "VANTA_REPLICA_POLL_SECONDS", 1.0, minimum=0.05),
    }
