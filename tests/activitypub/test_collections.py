"""Outbox, followers and following: OrderedCollections with a total, paged newest first by cursor."""

from __future__ import annotations

import pytest

from activitypub.models import Following, FollowStatus, OutboxItem, RemoteActor
from tests.activitypub.conftest import AP, AS2, Platform
from tests.activitypub.remote_instance import RemoteInstance

BLOG = f"{AP}/users/blog"


async def get(platform: Platform, url: str) -> dict:
    response = await platform.client.get(url, headers={"Accept": AS2})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == AS2
    return response.json()


async def walk(platform: Platform, collection_url: str) -> tuple[dict, list]:
    """The collection, and every item of every page, following `first` and `next` as a peer does."""
    collection = await get(platform, collection_url)
    items: list = []
    url = collection.get("first")
    while url is not None:
        page = await get(platform, url)
        assert page["type"] == "OrderedCollectionPage"
        assert page["partOf"] == collection_url
        items += page["orderedItems"]
        url = page.get("next")
    return collection, items


async def test_the_outbox_pages_public_activities_newest_first(platform: Platform) -> None:
    async with platform.resources.sessions() as session, session.begin():
        for n in range(25):
            document = {"id": f"{BLOG}/activities/{n}", "type": "Create", "actor": BLOG, "object": f"{BLOG}/p/{n}"}
            session.add(OutboxItem(uri=document["id"], actor_name="blog", type="Create", document=document))
        hidden = {"id": f"{BLOG}#accepts/1", "type": "Accept"}
        session.add(OutboxItem(uri=hidden["id"], actor_name="blog", type="Accept", document=hidden, public=False))
        market = {"id": f"{AP}/users/market/activities/1", "type": "Create"}
        session.add(OutboxItem(uri=market["id"], actor_name="market", type="Create", document=market))
    collection, items = await walk(platform, f"{BLOG}/outbox")
    assert collection["type"] == "OrderedCollection"
    assert collection["id"] == f"{BLOG}/outbox"
    assert collection["totalItems"] == 25
    assert [item["id"] for item in items] == [f"{BLOG}/activities/{n}" for n in reversed(range(25))]
    first = await get(platform, collection["first"])
    assert len(first["orderedItems"]) == 20
    second = await get(platform, first["next"])
    assert second["id"] == first["next"]
    assert "next" not in second


async def test_an_empty_collection_has_an_empty_first_page(platform: Platform) -> None:
    collection, items = await walk(platform, f"{AP}/users/events/outbox")
    assert collection["totalItems"] == 0
    assert items == []


async def test_followers_lists_accepted_followers_only(platform: Platform, remote: RemoteInstance) -> None:
    follow = remote.activity("Follow", BLOG)
    assert (await platform.deliver(remote, f"{AP}/inbox", follow)).status_code == 202
    pending = remote.activity("Follow", f"{AP}/users/instance")
    assert (await platform.deliver(remote, f"{AP}/inbox", pending)).status_code == 202
    collection, items = await walk(platform, f"{BLOG}/followers")
    assert (collection["totalItems"], items) == (1, [remote.actor()])
    collection, items = await walk(platform, f"{AP}/users/instance/followers")
    assert (collection["totalItems"], items) == (0, [])


async def test_following_lists_accepted_follows(platform: Platform) -> None:
    async with platform.resources.sessions() as session, session.begin():
        for n, status in enumerate((FollowStatus.ACCEPTED, FollowStatus.PENDING)):
            actor = RemoteActor(
                uri=f"https://peer.example/users/{n}",
                key_id=f"https://peer.example/users/{n}#main-key",
                public_key_pem="",
                inbox=f"https://peer.example/users/{n}/inbox",
                host="peer.example",
            )
            session.add(actor)
            await session.flush()
            session.add(
                Following(actor_name="blog", remote_actor_id=actor.id, follow_uri=f"{BLOG}#follows/{n}", status=status)
            )
    collection, items = await walk(platform, f"{BLOG}/following")
    assert (collection["totalItems"], items) == (1, ["https://peer.example/users/0"])


@pytest.mark.parametrize("kind", ["outbox", "followers", "following"])
async def test_bad_cursors_and_unknown_actors(platform: Platform, kind: str) -> None:
    bad = await platform.client.get(f"{BLOG}/{kind}?cursor=abc")
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"
    assert (await platform.client.get(f"{AP}/users/nobody/{kind}")).status_code == 404
