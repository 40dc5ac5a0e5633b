"""Typed keys of everything stored on the aiohttp application."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from app.config import Settings
from app.metadata.backend import MetadataBackend
from schema.build import VantaSchema

__all__ = ["DB_POOL", "JWT_SECRET", "METADATA", "SCHEMA", "SETTINGS"]

SETTINGS = web.AppKey("settings", Settings)
SCHEMA = web.AppKey("schema", VantaSchema)
JWT_SECRET = web.AppKey("jwt_secret", str)
DB_POOL = web.AppKey("db_pool", asyncpg.Pool)
METADATA = web.AppKey("metadata_backend", MetadataBackend)
