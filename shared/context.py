"""The per-request context a subgraph's resolvers receive as `info.context`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from strawberry.dataloader import DataLoader

from shared.auth import Viewer
from shared.cache import Cache
from shared.config import Settings

BatchLoad = Callable[[Sequence[Any]], Awaitable[Sequence[Any]]]


@dataclass(slots=True)
class Context:
    request: Request
    session: AsyncSession
    viewer: Viewer
    cache: Cache
    request_id: str
    settings: Settings
    _loaders: dict[Hashable, DataLoader[Any, Any]] = field(default_factory=dict)

    def loader(self, key: Hashable, load: BatchLoad) -> DataLoader[Any, Any]:
        """The DataLoader for `key` in this request, created on first use.

        Entity resolution and list fields share it, so one `_entities` call with
        fifty representations becomes one batched load.
        """
        existing = self._loaders.get(key)
        if existing is None:
            existing = self._loaders[key] = DataLoader(load_fn=load)
        return existing

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed whole when the block ends, rolled back if it raises."""
        if self.session.in_transaction():
            # Reads earlier in the request opened a transaction implicitly;
            # end it so the write starts from a clean one.
            await self.session.commit()
        try:
            async with self.session.begin():
                yield self.session
        finally:
            # What the loaders remember may predate the write; a later field of this
            # request (another mutation's result, say) must read what was committed.
            self._loaders.clear()
