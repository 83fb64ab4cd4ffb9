"""What a process opens once and every request shares: database engine, cache and the token verifier."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.auth import TokenVerifier
from shared.cache import Cache, create_cache
from shared.config import Settings
from shared.db import create_engine, create_sessionmaker


@dataclass(slots=True)
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    cache: Cache
    tokens: TokenVerifier
    # How this process reaches the router when it serves the router itself (the embedded
    # default): a transport onto it, so the worker's reads through the router need no socket.
    router_transport: httpx.AsyncBaseTransport | None = None

    @classmethod
    def open(cls, settings: Settings) -> Resources:
        # Nothing connects yet: engines and Redis clients connect on first use.
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
        return cls(
            settings=settings,
            engine=engine,
            sessions=create_sessionmaker(engine),
            cache=create_cache(settings.redis_url),
            tokens=TokenVerifier.from_settings(settings),
        )

    async def close(self) -> None:
        await self.tokens.close()
        await self.cache.close()
        await self.engine.dispose()
