"""The platform as `make run` serves it, sidecar included, and a stand-in remote instance beside it.

The platform is called in process at PUBLIC_URL (an https address that only
the test client reaches); the remote instance is a real server on 127.0.0.1,
which the sidecar's guarded fetches may reach because OUTBOUND_ALLOW_PRIVATE
is on for these tests.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from roseash.embedded import create_platform_app
from shared.cache import RedisCache
from shared.config import load_settings
from shared.resources import Resources
from tests.activitypub.remote_instance import RemoteInstance
from tests.conftest import Backend, migrate

PUBLIC_URL = "https://roseash.test"
AP = f"{PUBLIC_URL}/activitypub"
AS2 = "application/activity+json"
T = TypeVar("T")


@dataclass
class Platform:
    resources: Resources
    client: httpx.AsyncClient

    async def deliver(
        self, remote: RemoteInstance, url: str, activity: dict[str, Any], *, name: str = "alice", **signing: Any
    ) -> httpx.Response:
        """POST `activity` to one of our inboxes, signed by the remote's actor (draft-cavage)."""
        body = orjson.dumps(activity)
        headers = remote.sign_cavage(url, body, name=name, **signing)
        return await self.client.post(url, content=body, headers=headers)

    async def graphql(self, query: str) -> dict[str, Any]:
        response = await self.client.post("/graphql", json={"query": query})
        answer: dict[str, Any] = response.json()
        assert "errors" not in answer, answer
        return answer["data"]

    async def register(self, handle: str, display_name: str = "A Member") -> str:
        """A new member, through the router as anyone may register; returns their id."""
        data = await self.graphql(
            f'mutation {{ register(input: {{handle: "{handle}", email: "{handle}@example.org", '
            f'displayName: "{display_name}"}}) {{ id }} }}'
        )
        return str(data["register"]["id"])

    async def count(self, model: type[Any]) -> int:
        async with self.resources.sessions() as session:
            return await session.scalar(select(func.count()).select_from(model)) or 0

    async def rows(self, model: type[T]) -> list[T]:
        async with self.resources.sessions() as session:
            return list((await session.scalars(select(model))).all())


@contextlib.asynccontextmanager
async def open_platform(backend: Backend, **environ: str) -> AsyncIterator[Platform]:
    """The platform on `backend`, with settings beyond the tests' own in `environ`."""
    await migrate(backend)
    settings = load_settings(
        {**backend.environ(), "PUBLIC_URL": PUBLIC_URL, "OUTBOUND_ALLOW_PRIVATE": "true", **environ}
    )
    resources = Resources.open(settings)
    if backend.redis_url:
        await resources.cache.close()
        resources.cache = RedisCache(backend.redis_url, prefix=f"test:{uuid.uuid4().hex}:")
    app = create_platform_app(resources)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as client:
            yield Platform(resources, client)
    finally:
        await resources.close()


@pytest.fixture
async def platform(backend: Backend) -> AsyncIterator[Platform]:
    async with open_platform(backend) as opened:
        yield opened


@pytest.fixture
async def remote() -> AsyncIterator[RemoteInstance]:
    async with RemoteInstance().running() as instance:
        yield instance
