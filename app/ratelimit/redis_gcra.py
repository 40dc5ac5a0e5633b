"""The shared limiter: the same GCRA as ``policy.decide``, in one atomic Lua script on Redis.

One round trip per request; the Redis server's clock (``TIME``) so workers and instances with
skewed clocks still share one budget. Keys hold a hash of TATs in microseconds and expire when
every quota is whole again.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import blake2b

from redis.asyncio import Redis

from app.ratelimit.policy import MICROS, Decision, Quota

__all__ = ["GCRA_SCRIPT", "RedisLimiter"]

# KEYS[1]: the client's hash. ARGV: limit and period (µs) per quota.
# Returns {allowed, limit, remaining, reset_us, retry_us} for the quota closest to refusing.
GCRA_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #ARGV / 2
local fields = {}
for i = 1, n do fields[i] = tostring(i) end
local stored = redis.call('HMGET', KEYS[1], unpack(fields))
local new = {}
local refused, retry = 0, 0
for i = 1, n do
  local limit, period = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local tat = math.max(tonumber(stored[i]) or 0, now)
  new[i] = tat + math.floor(period / limit)
  local allow_at = new[i] - period
  if allow_at > now and allow_at - now > retry then refused, retry = i, allow_at - now end
end
if refused > 0 then
  local reset = math.max((tonumber(stored[refused]) or now) - now, 0)
  return {0, tonumber(ARGV[2 * refused - 1]), 0, reset, retry}
end
local best, best_remaining, longest = 1, nil, 0
local args = {}
for i = 1, n do
  local limit, period = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local remaining = math.floor((period - (new[i] - now)) / math.floor(period / limit))
  if best_remaining == nil or remaining < best_remaining then best, best_remaining = i, remaining end
  longest = math.max(longest, new[i] - now)
  args[2 * i - 1], args[2 * i] = tostring(i), string.format('%d', new[i])
end
redis.call('HSET', KEYS[1], unpack(args))
redis.call('PEXPIRE', KEYS[1], math.ceil(longest / 1000) + 1)
return {1, tonumber(ARGV[2 * best - 1]), best_remaining, new[best] - now, 0}
"""


class RedisLimiter:
    """GCRA over Redis; raises the client's errors so the caller can fall back.

    Example::

        limiter = RedisLimiter(Redis.from_url(url), quotas_from(settings), prefix="vanta:")
        decision = await limiter.hit("sub:alice")
    """

    def __init__(self, client: Redis, quotas: Sequence[Quota], *, prefix: str = "vanta:") -> None:
        if not quotas:
            raise ValueError("quotas must not be empty")
        self.quotas = tuple(quotas)
        self._prefix = prefix
        self._args = [value for q in self.quotas for value in (q.limit, q.period_us)]
        self._script = client.register_script(GCRA_SCRIPT)

    def redis_key(self, key: str) -> str:
        """Where ``key``'s state lives; a digest, so no address or subject is stored in Redis."""
        return f"{self._prefix}rl:{blake2b(key.encode(), digest_size=16).hexdigest()}"

    async def hit(self, key: str) -> Decision:
        """Count one request of ``key`` atomically on the Redis server."""
        allowed, limit, remaining, reset_us, retry_us = await self._script(
            keys=[self.redis_key(key)], args=self._args
        )
        return Decision(
            bool(allowed),
            int(limit),
            int(remaining),
            int(reset_us) / MICROS,
            int(retry_us) / MICROS,
        )
