"""Typed keys of everything stored on the aiohttp application."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis
from aiohttp import web

from app.config import Settings
from app.ratelimit.fallback import FallbackLimiter
from schema.build import VantaSchema

__all__ = ["DB_POOL", "JWT_SECRET", "RATE_LIMITER", "REDIS", "SCHEMA", "SETTINGS"]

SETTINGS = web.AppKey("settings", Settings)
SCHEMA = web.AppKey("schema", VantaSchema)
JWT_SECRET = web.AppKey("jwt_secret", str)
DB_POOL = web.AppKey("db_pool", asyncpg.Pool)
# Present only when VANTA_REDIS_URL is set; shared by every Redis user (limiter, cache).
REDIS = web.AppKey("redis", redis.Redis)
RATE_LIMITER = web.AppKey("rate_limiter", FallbackLimiter)
