"""Followers of our actors: accepting them, and where deliveries to them go.

An accepted Follow is answered with an Accept, rendered here (it needs no
domain data) and queued in the outbox (`ap_activities`) with the one inbox it
goes to; the delivery side signs and sends it. Follows of an actor that
approves by hand wait as pending rows until someone approves them with
`accept`.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.as2 import CONTEXT
from activitypub.models import Follower, FollowStatus, RemoteActor
from activitypub.urls import Urls
from shared.db import utcnow
from shared.outbox import record_activity


async def accept(session: AsyncSession, urls: Urls, follower: Follower, remote: RemoteActor) -> None:
    """Mark `follower` accepted and queue the Accept of their Follow, in the caller's transaction."""
    follower.status = FollowStatus.ACCEPTED
    follower.accepted_at = follower.accepted_at or utcnow()
    actor = urls.actor(follower.actor_name)
    # One id per Follow answered: a peer that follows again (a new Follow id) gets a new Accept.
    answered = hashlib.sha256(follower.follow_uri.encode()).hexdigest()[:16]
    activity = {
        "@context": CONTEXT,
        "id": f"{actor}#accepts/follows/{answered}",
        "type": "Accept",
        "actor": actor,
        "object": {"id": follower.follow_uri, "type": "Follow", "actor": remote.uri, "object": actor},
    }
    await record_activity(
        session,
        actor=follower.actor_name,
        verb="Accept",
        object_type="Follow",
        object_id=str(follower.id),
        # Rendered already, with its recipient: the delivery side sends it as it is.
        payload={"activity": activity, "inboxes": [remote.inbox]},
    )


async def delivery_inboxes(session: AsyncSession, actor_name: str) -> list[str]:
    """Where an activity of `actor_name` for its followers goes: one shared inbox per server
    that has one (as Mastodon delivers), each other follower's own inbox; each address once."""
    inbox = func.coalesce(RemoteActor.shared_inbox, RemoteActor.inbox)
    statement = (
        select(inbox)
        .join(Follower, Follower.remote_actor_id == RemoteActor.id)
        .where(Follower.actor_name == actor_name, Follower.status == FollowStatus.ACCEPTED)
        .distinct()
        .order_by(inbox)
    )
    return list((await session.scalars(statement)).all())
