"""Rate limiting: GCRA per client key, shared through Redis, in-process while Redis is away."""

from app.ratelimit.fallback import FallbackLimiter
from app.ratelimit.memory import InProcessLimiter
from app.ratelimit.middleware import EXEMPT_PATHS, rate_limit_middleware
from app.ratelimit.policy import Decision, Quota, quotas_from
from app.ratelimit.redis_gcra import RedisLimiter

__all__ = [
    "EXEMPT_PATHS",
    "Decision",
    "FallbackLimiter",
    "InProcessLimiter",
    "Quota",
    "RedisLimiter",
    "quotas_from",
    "rate_limit_middleware",
]
