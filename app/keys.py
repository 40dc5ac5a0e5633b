"""Typed keys of everything stored on the aiohttp application."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis
from aiohttp import web

from app.auth import TokenVerifier
from app.cache.response_cache import ResponseCache
from app.config import Settings
from app.metadata.backend import MetadataBackend
from app.persisted.apq import PersistedQueries
from app.persisted.trusted import TrustedDocuments
from app.ratelimit.fallback import FallbackLimiter
from schema.build import VantaSchema

__all__ = [
    "DB_POOL",
    "METADATA",
    "PERSISTED_QUERIES",
    "RATE_LIMITER",
    "REDIS",
    "RESPONSE_CACHE",
    "SCHEMA",
    "SETTINGS",
    "TOKEN_VERIFIER",
    "TRUSTED_DOCUMENTS",
]

SETTINGS = web.AppKey("settings", Settings)
SCHEMA = web.AppKey("schema", VantaSchema)
TOKEN_VERIFIER = web.AppKey("token_verifier", TokenVerifier)
DB_POOL = web.AppKey("db_pool", asyncpg.Pool)
METADATA = web.AppKey("metadata_backend", MetadataBackend)
# Present only when VANTA_REDIS_URL is set; shared by every Redis user (limiter, cache, APQ).
REDIS = web.AppKey("redis", redis.Redis)
RATE_LIMITER = web.AppKey("rate_limiter", FallbackLimiter)
RESPONSE_CACHE = web.AppKey("response_cache", ResponseCache)
PERSISTED_QUERIES = web.AppKey("persisted_queries", PersistedQueries)
# Absent unless VANTA_TRUSTED_DOCUMENTS names a manifest.
TRUSTED_DOCUMENTS = web.AppKey("trusted_documents", TrustedDocuments)
