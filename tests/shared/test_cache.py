import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from shared.cache import Cache, MemoryCache, RedisCache
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


async def test_round_trip(cache: Cache) -> None:
    assert await cache.get("k") is None
    await cache.set("k", b"v")
    assert await cache.get("k") == b"v"
    await cache.set("k", b"w")
    assert await cache.get("k") == b"w"


async def test_delete_reports_whether_the_key_existed(cache: Cache) -> None:
    await cache.set("k", b"v")
    assert await cache.delete("k") is True
    assert await cache.get("k") is None
    assert await cache.delete("k") is False


async def test_values_expire_after_their_ttl(cache: Cache) -> None:
    await cache.set("short", b"v", ttl=0.15)
    await cache.set("long", b"v", ttl=30)
    assert await cache.get("short") == b"v"
    await asyncio.sleep(0.3)
    assert await cache.get("short") is None
    assert await cache.get("long") == b"v"


async def test_incr_counts_atomically_under_concurrency(cache: Cache) -> None:
    results = await asyncio.gather(*(cache.incr("hits") for _ in range(50)))
    assert sorted(results) == list(range(1, 51))
    assert await cache.incr("hits", 5) == 55
    assert await cache.get("hits") == b"55"


async def test_incr_ttl_is_a_fixed_window_from_the_first_hit(cache: Cache) -> None:
    assert await cache.incr("window", ttl=0.3) == 1
    await asyncio.sleep(0.15)
    assert await cache.incr("window", ttl=0.3) == 2  # does not extend the window
    await asyncio.sleep(0.25)
    assert await cache.get("window") is None
    assert await cache.incr("window", ttl=0.3) == 1


async def test_non_positive_ttl_is_refused(cache: Cache) -> None:
    with pytest.raises(ValueError, match="ttl"):
        await cache.set("k", b"v", ttl=0)


async def test_ping(cache: Cache) -> None:
    await cache.ping()


async def test_unreachable_redis_fails_ping() -> None:
    cache = RedisCache("redis://127.0.0.1:1/0")
    with pytest.raises(Exception, match=r"(?i)connect"):
        await cache.ping()
    await cache.close()
