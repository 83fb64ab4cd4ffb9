"""Where the delivery side sends an actor's activities: one shared inbox per server, own inboxes otherwise."""

from __future__ import annotations

from activitypub.follows import delivery_inboxes
from activitypub.models import Follower, FollowStatus, RemoteActor
from tests.activitypub.conftest import Platform


async def test_followers_on_one_server_share_one_delivery(platform: Platform) -> None:
    followers = [
        ("https://peer.example/users/a", "https://peer.example/inbox", "blog", FollowStatus.ACCEPTED),
        ("https://peer.example/users/b", "https://peer.example/inbox", "blog", FollowStatus.ACCEPTED),
        ("https://solo.example/ann", None, "blog", FollowStatus.ACCEPTED),
        ("https://wait.example/users/w", "https://wait.example/inbox", "blog", FollowStatus.PENDING),
        ("https://other.example/users/o", "https://other.example/inbox", "market", FollowStatus.ACCEPTED),
    ]
    async with platform.resources.sessions() as session, session.begin():
        for uri, shared_inbox, actor_name, status in followers:
            actor = RemoteActor(
                uri=uri,
                key_id=f"{uri}#main-key",
                public_key_pem="",
                inbox=f"{uri}/inbox",
                shared_inbox=shared_inbox,
                host=uri.split("/")[2],
            )
            session.add(actor)
            await session.flush()
            session.add(Follower(actor_name=actor_name, remote_actor_id=actor.id, follow_uri=f"{uri}#f", status=status))
    async with platform.resources.sessions() as session:
        assert await delivery_inboxes(session, "blog") == [
            "https://peer.example/inbox",
            "https://solo.example/ann/inbox",
        ]
        assert await delivery_inboxes(session, "market") == ["https://other.example/inbox"]
        assert await delivery_inboxes(session, "events") == []
