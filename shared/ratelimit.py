"""Fixed-window rate limits on the shared cache (Redis, or process memory without it).

A limit counts events per key (an account, an IP address, a client) in a
window that starts with the key's first event and lasts `window` seconds:
Redis makes the count shared by every process. Keys are hashed, so whatever a
caller sends (a long or odd login name) makes a short, safe cache key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from shared.cache import Cache


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    count: int
    retry_after: float  # seconds until the window ends, at most


@dataclass(frozen=True, slots=True)
class RateLimit:
    cache: Cache
    name: str
    limit: int  # events allowed per window
    window: float  # seconds

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= 0:
            raise ValueError(f"rate limit {self.name!r}: limit must be at least 1 and window positive")

    def _key(self, key: str) -> str:
        return f"ratelimit:{self.name}:{hashlib.sha256(key.encode()).hexdigest()[:40]}"

    async def hit(self, key: str, amount: int = 1) -> Decision:
        """Count `amount` events for `key`; allowed while the window's count stays within the limit."""
        count = await self.cache.incr(self._key(key), amount, ttl=self.window)
        return Decision(allowed=count <= self.limit, count=count, retry_after=self.window)

    async def exceeded(self, key: str) -> bool:
        """Whether `key` has used up its window, without counting anything."""
        current = await self.cache.get(self._key(key))
        return current is not None and int(current) >= self.limit

    async def reset(self, key: str) -> None:
        await self.cache.delete(self._key(key))
