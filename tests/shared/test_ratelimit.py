"""Fixed-window rate limits on the shared cache, in memory and on Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from shared.cache import Cache, MemoryCache, RedisCache
from shared.ratelimit import RateLimit
from tests.conftest import HAS_SERVERS, SERVER_REDIS_URL


@pytest.fixture(
    params=[
        pytest.param("memory"),
        pytest.param("redis", marks=pytest.mark.skipif(not HAS_SERVERS, reason="REDIS_URL names no server")),
    ]
)
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    instance: Cache = (
        MemoryCache() if request.param == "memory" else RedisCache(SERVER_REDIS_URL, prefix=f"test:{uuid.uuid4().hex}:")
    )
    yield instance
    await instance.close()


async def test_events_are_allowed_up_to_the_limit(cache: Cache) -> None:
    limit = RateLimit(cache, "test", limit=3, window=60)
    decisions = [await limit.hit("alice") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.count for d in decisions] == [1, 2, 3, 4]
    assert decisions[-1].retry_after == 60


async def test_exceeded_looks_without_counting(cache: Cache) -> None:
    limit = RateLimit(cache, "test", limit=2, window=60)
    assert not await limit.exceeded("alice")
    await limit.hit("alice")
    assert not await limit.exceeded("alice")
    await limit.hit("alice")
    assert await limit.exceeded("alice")
    assert await limit.exceeded("alice")
    assert (await limit.hit("alice")).count == 3


async def test_keys_and_limits_are_counted_apart(cache: Cache) -> None:
    per_account = RateLimit(cache, "account", limit=1, window=60)
    per_address = RateLimit(cache, "address", limit=1, window=60)
    await per_account.hit("alice")
    assert await per_account.exceeded("alice")
    assert not await per_account.exceeded("bob")
    assert not await per_address.exceeded("alice")


async def test_odd_and_long_keys_are_fine(cache: Cache) -> None:
    limit = RateLimit(cache, "test", limit=1, window=60)
    for key in ("", "a b\nc", "é" * 10_000, "ratelimit:test:x"):
        assert (await limit.hit(key)).allowed
        assert await limit.exceeded(key)


async def test_the_window_ends_and_reset_clears_it(cache: Cache) -> None:
    limit = RateLimit(cache, "test", limit=1, window=0.2)
    await limit.hit("alice")
    await limit.hit("bob")
    assert await limit.exceeded("alice")
    await limit.reset("bob")
    assert not await limit.exceeded("bob")
    await asyncio.sleep(0.3)
    assert not await limit.exceeded("alice")
    assert (await limit.hit("alice")).count == 1


@pytest.mark.parametrize(("limit", "window"), [(0, 60), (1, 0), (1, -1)])
def test_a_limit_needs_a_positive_count_and_window(limit: int, window: float) -> None:
    with pytest.raises(ValueError, match="limit must be at least 1"):
        RateLimit(MemoryCache(), "bad", limit=limit, window=window)
