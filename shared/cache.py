"""One cache interface, backed by Redis in production and process memory by default.

Values are bytes; callers serialise (orjson) as they see fit. Keys are namespaced
with a prefix so several deployments or test runs can share one Redis.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod

from redis.asyncio import Redis


class Cache(ABC):
    @abstractmethod
    async def get(self, key: str) -> bytes | None: ...

    @abstractmethod
    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store `value`; with `ttl` (seconds) it expires after that long."""

    @abstractmethod
    async def delete(self, key: str) -> bool:
        """Remove `key`; True when it existed."""

    @abstractmethod
    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """Add `amount` atomically and return the new value.

        `ttl` applies when the increment creates the key, so a counter is a
        fixed window: it expires `ttl` seconds after its first increment.
        """

    @abstractmethod
    async def ping(self) -> None:
        """Raise if the cache cannot be reached."""

    @abstractmethod
    async def close(self) -> None: ...


class MemoryCache(Cache):
    """A per-process cache. Single event loop, so no locking is needed."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[bytes, float | None]] = {}

    def _live(self, key: str) -> bytes | None:
        item = self._items.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= time.monotonic():
            del self._items[key]
            return None
        return value

    async def get(self, key: str) -> bytes | None:
        return self._live(key)

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        _check_ttl(ttl)
        self._items[key] = (value, None if ttl is None else time.monotonic() + ttl)

    async def delete(self, key: str) -> bool:
        existed = self._live(key) is not None
        self._items.pop(key, None)
        return existed

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        _check_ttl(ttl)
        current = self._live(key)
        if current is None:
            value = amount
            expires = None if ttl is None else time.monotonic() + ttl
        else:
            value = int(current) + amount
            expires = self._items[key][1]
        self._items[key] = (str(value).encode(), expires)
        return value

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._items.clear()


class RedisCache(Cache):
    def __init__(self, url: str, prefix: str = "roseash:") -> None:
        self._redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._prefix = prefix

    async def get(self, key: str) -> bytes | None:
        value: bytes | None = await self._redis.get(self._prefix + key)
        return value

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        _check_ttl(ttl)
        await self._redis.set(self._prefix + key, value, px=_millis(ttl))

    async def delete(self, key: str) -> bool:
        return bool(await self._redis.delete(self._prefix + key))

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        _check_ttl(ttl)
        full = self._prefix + key
        async with self._redis.pipeline(transaction=True) as pipe:
            if ttl is not None:
                # Creates the key with its expiry only if it is absent, in the
                # same MULTI as the increment, so the window starts exactly once.
                pipe.set(full, 0, px=_millis(ttl), nx=True)
            pipe.incrby(full, amount)
            results = await pipe.execute()
        return int(results[-1])

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()


def create_cache(redis_url: str | None, prefix: str = "roseash:") -> Cache:
    return RedisCache(redis_url, prefix) if redis_url else MemoryCache()


def _check_ttl(ttl: float | None) -> None:
    if ttl is not None and ttl <= 0:
        raise ValueError(f"ttl must be positive seconds, got {ttl}")


def _millis(ttl: float | None) -> int | None:
    return None if ttl is None else max(1, round(ttl * 1000))
