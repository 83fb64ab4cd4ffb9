"""What the delivery tests share: stand-in servers following our blog, an editor publishing, and the worker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import select, update

from activitypub.delivery_worker import ActivityPubWorker
from activitypub.graphql_client import RouterClient
from activitypub.models import ActivityDelivery
from shared.db import utcnow
from subgraphs.blog import service
from subgraphs.blog.models import Kind, Post
from tests.activitypub.conftest import AP, AS2, PUBLIC_URL, Platform
from tests.activitypub.remote_instance import Received, RemoteInstance
from tests.subgraphs.graphql import editor

BLOG = f"{AP}/users/blog"
SHARED_INBOX = f"{AP}/inbox"
EDITOR = editor("e1")


def worker(platform: Platform) -> ActivityPubWorker:
    """A worker reaching the router through the platform's own app, in process, as the embedded default does."""
    return ActivityPubWorker(platform.resources, RouterClient(f"{PUBLIC_URL}/graphql", platform.client._transport))


async def run_until_idle(*workers: ActivityPubWorker) -> None:
    """Rounds until nothing is due: what waits for a retry stays waiting."""
    while sum([await each.run() for each in workers]):
        pass


async def follow(platform: Platform, remote: RemoteInstance, name: str = "alice") -> None:
    """`name` on `remote` follows our blog through our real shared inbox; the blog accepts at once."""
    response = await platform.deliver(remote, SHARED_INBOX, remote.activity("Follow", BLOG, name=name), name=name)
    assert response.status_code == 202, response.text


async def publish(platform: Platform, title: str = "Spring at the cooperative", **changes: Any) -> str:
    """An editor writes and publishes a post through the blog's service; returns its id."""
    changes = {"body": "We planted **roses**.", "tags": ["Gardens", "Open Source"], **changes}
    async with platform.resources.sessions() as session, session.begin():
        post = await service.create(session, EDITOR, Kind.POST, service.Changes(title=title, **changes))
        await service.publish(session, EDITOR, Kind.POST, post.id)
    return post.id


async def edit(platform: Platform, post_id: str, **changes: Any) -> None:
    async with platform.resources.sessions() as session, session.begin():
        post = await session.get(Post, post_id)
        assert post is not None
        await service.update(session, EDITOR, Kind.POST, post_id, post.version, service.Changes(**changes))


async def remove(platform: Platform, post_id: str) -> None:
    async with platform.resources.sessions() as session, session.begin():
        await service.remove(session, EDITOR, Kind.POST, post_id)


async def blog_key(platform: Platform) -> tuple[str, str]:
    """The blog actor's key id and public PEM, as peers read them from its document."""
    key = (await platform.client.get(BLOG, headers={"Accept": AS2})).json()["publicKey"]
    return key["id"], key["publicKeyPem"]


def activity(delivery: Received) -> dict[str, Any]:
    return orjson.loads(delivery.body)


async def deliveries(platform: Platform) -> list[ActivityDelivery]:
    async with platform.resources.sessions() as session:
        return list((await session.scalars(select(ActivityDelivery).order_by(ActivityDelivery.id))).all())


async def make_due(platform: Platform) -> None:
    """Move every waiting delivery's next try to now, as if its wait were over."""
    async with platform.resources.sessions() as session, session.begin():
        await session.execute(update(ActivityDelivery).values(available_at=utcnow() - timedelta(seconds=1)))
