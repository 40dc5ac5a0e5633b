"""The process-wide AsyncMongoClient and the collection's indexes."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, TEXT, AsyncMongoClient, IndexModel
from pymongo.uri_parser import parse_uri

__all__ = [
    "COLLECTION",
    "INDEXES",
    "create_mongo_client",
    "ensure_indexes",
    "metadata_collection",
]

COLLECTION = "document_metadata"
DEFAULT_DATABASE = "vanta"
INDEXES = (
    IndexModel([("document_id", ASCENDING)], name="document_id_unique", unique=True),
    IndexModel([("company_id", ASCENDING)], name="company_id"),
    IndexModel([("company_id", ASCENDING), ("uploaded_at", DESCENDING)], name="company_uploaded"),
    IndexModel([("tags", ASCENDING)], name="tags"),
    # MongoDB allows one text index per collection: it covers the text and the summary.
    IndexModel([("text", TEXT), ("summary", TEXT)], name="text_search", default_language="english"),
)


def create_mongo_client(url: str, **overrides: Any) -> AsyncMongoClient:
    """One client per process: bounded pool, and a short server selection timeout.

    Recommended use::

        client = create_mongo_client(settings.mongodb_url)
        try:
            ...
        finally:
            await client.close()

    An unreachable server then fails a call within about two seconds (SERVICE_UNAVAILABLE)
    instead of hanging the request for the driver's default thirty. Options given in the
    URL (``?maxPoolSize=20&serverSelectionTimeoutMS=500``) take precedence.
    """
    given = {name.lower() for name in parse_uri(url, validate=False).get("options", {})}
    defaults: dict[str, Any] = {
        "maxPoolSize": 50,
        "minPoolSize": 2,
        "serverSelectionTimeoutMS": 2000,
        "connectTimeoutMS": 2000,
        "appname": "vanta-ledger",
    }
    # Options written in the URL win over these defaults.
    options = {name: value for name, value in defaults.items() if name.lower() not in given}
    options.update(tz_aware=True, **overrides)
    return AsyncMongoClient(url, **options)


def database_name(url: str) -> str:
    """The database named in the URL's path, else ``vanta``."""
    return parse_uri(url, validate=False).get("database") or DEFAULT_DATABASE


def metadata_collection(client: Any, url: str) -> Any:
    return client[database_name(url)][COLLECTION]


async def ensure_indexes(collection: Any) -> list[str]:
    """Create the indexes if missing (idempotent: same names, same keys)."""
    return list(await collection.create_indexes(list(INDEXES)))
