"""Redis cache backend: shared by every worker; tags are Redis sets of entry keys.

Writing an entry and its tag memberships is one Lua script, and so is invalidating a
tag, so a concurrent reader never sees an entry that survived its own invalidation.
Assumes one Redis (not a cluster: the scripts touch keys of several hash slots).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection

import redis.asyncio as redis
from redis.exceptions import RedisError, ResponseError

from app.cache.backend import BackendStats, CacheUnavailable
from app.cache.circuit import Circuit

__all__ = ["RedisBackend"]

# KEYS[1] = generation key, KEYS[2] = entry key, KEYS[3..] = tag set keys;
# ARGV[1] = value, ARGV[2] = ttl in ms, ARGV[3] = expected generation ('' = any).
_SET_SCRIPT = """
if ARGV[3] ~= '' and (redis.call('GET', KEYS[1]) or '0') ~= ARGV[3] then
  return 0
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
local ttl = tonumber(ARGV[2])
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[2])
  -- Entries expire on their own but stay listed in their tags until an invalidation: drop a
  -- few expired members per write so a tag set tracks live entries, not history.
  for _, member in ipairs(redis.call('SRANDMEMBER', KEYS[i], 3)) do
    if redis.call('EXISTS', member) == 0 then
      redis.call('SREM', KEYS[i], member)
    end
  end
  if redis.call('PTTL', KEYS[i]) < ttl then
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
end
return 1
"""

# KEYS[1] = generation key, KEYS[2..] = tag set keys. Bumps the generation, then deletes
# every member entry and the sets themselves.
_INVALIDATE_SCRIPT = """
redis.call('INCR', KEYS[1])
local dropped = 0
for i = 2, #KEYS do
  local members = redis.call('SMEMBERS', KEYS[i])
  for j = 1, #members, 500 do
    local chunk = {}
    for k = j, math.min(j + 499, #members) do chunk[#chunk + 1] = members[k] end
    dropped = dropped + redis.call('DEL', unpack(chunk))
  end
  redis.call('DEL', KEYS[i])
end
return dropped
"""


_SCAN_BATCH = 500
_GLOB_SPECIAL = str.maketrans({c: f"\\{c}" for c in "*?[]\\"})


class RedisBackend:
    """Cache entries under ``{prefix}r:{key}``, tags under ``{prefix}t:{tag}``.

    Every failure (connection refused, timeout) raises CacheUnavailable and opens the
    circuit for a second, so an outage costs one timeout, not one per request.
    """

    name = "redis"

    def __init__(self, client: redis.Redis, prefix: str = "vanta:", circuit: Circuit | None = None):
        self._client = client
        self._prefix = prefix
        self._generation = f"{prefix}generation"
        self._circuit = circuit or Circuit()
        self._set = client.register_script(_SET_SCRIPT)
        self._invalidate = client.register_script(_INVALIDATE_SCRIPT)

    def _entry(self, key: str) -> str:
        return f"{self._prefix}r:{key}"

    def _tag(self, tag: str) -> str:
        return f"{self._prefix}t:{tag}"

    def _check(self) -> None:
        if not self._circuit.available():
            raise CacheUnavailable("redis circuit open")

    async def get(self, key: str) -> tuple[bytes | None, int]:
        self._check()
        try:
            value, generation = await self._client.mget(self._entry(key), self._generation)
        except (RedisError, OSError) as error:
            self._circuit.failed()
            raise CacheUnavailable(str(error)) from error
        self._circuit.succeeded()
        return value, int(generation or 0)

    async def set(
        self,
        key: str,
        value: bytes,
        ttl: int,
        tags: Collection[str] = (),
        if_generation: int | None = None,
    ) -> bool:
        if ttl <= 0:
            return False
        self._check()
        keys = [self._generation, self._entry(key), *(self._tag(tag) for tag in tags)]
        expected = "" if if_generation is None else str(if_generation)
        try:
            stored = await self._set(keys=keys, args=[value, ttl * 1000, expected])
        except (RedisError, OSError) as error:
            self._circuit.failed()
            raise CacheUnavailable(str(error)) from error
        self._circuit.succeeded()
        return bool(stored)

    async def invalidate(self, tags: Collection[str], *, probe: bool = False) -> int:
        if not tags:
            return 0
        if not probe:
            self._check()
        try:
            keys = [self._generation, *(self._tag(tag) for tag in tags)]
            dropped = await self._invalidate(keys=keys)
        except (RedisError, OSError) as error:
            self._circuit.failed()
            raise CacheUnavailable(str(error)) from error
        self._circuit.succeeded()
        return int(dropped)

    async def stats(self) -> BackendStats:
        """Counts this prefix's entries with SCAN (an admin request, never on a hot path).

        Bytes are Redis's own ``MEMORY USAGE`` of each entry; the budget is the server's
        ``maxmemory`` (None when unlimited or when CONFIG is disabled, as on managed Redis).
        """
        entries = 0
        size = 0
        try:
            async for batch in self._scan(f"{self._prefix}r:"):
                entries += len(batch)
                async with self._client.pipeline(transaction=False) as pipe:
                    for key in batch:
                        pipe.memory_usage(key)
                    size += sum(usage or 0 for usage in await pipe.execute())
            budget = await self._maxmemory()
            info = await self._client.info("stats")
        except (RedisError, OSError) as error:
            raise CacheUnavailable(str(error)) from error
        evictions = info.get("evicted_keys")
        return BackendStats(
            entries, size, budget, int(evictions) if evictions is not None else None
        )

    async def clear_all(self) -> int:
        """Drop this prefix's entries and tag sets (never FLUSHDB: others share the server).

        The generation is bumped first, so an answer computed before the clear and stored
        after it is refused (``set``'s ``if_generation``).
        """
        dropped = 0
        try:
            await self._client.incr(self._generation)
            async for batch in self._scan(f"{self._prefix}r:"):
                dropped += int(await self._client.unlink(*batch))
            async for batch in self._scan(f"{self._prefix}t:"):
                await self._client.unlink(*batch)
        except (RedisError, OSError) as error:
            raise CacheUnavailable(str(error)) from error
        return dropped

    async def _scan(self, start: str) -> AsyncIterator[list[bytes]]:
        """Keys starting with ``start``, in batches (the prefix's glob characters escaped)."""
        batch: list[bytes] = []
        pattern = start.translate(_GLOB_SPECIAL) + "*"
        async for key in self._client.scan_iter(match=pattern, count=_SCAN_BATCH):
            batch.append(key)
            if len(batch) >= _SCAN_BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    async def _maxmemory(self) -> int | None:
        try:
            config = await self._client.config_get("maxmemory")
        except ResponseError:  # CONFIG renamed or disabled
            return None
        value = int(config.get("maxmemory") or 0)
        return value or None
