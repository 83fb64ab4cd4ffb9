"""What each kind of activity arriving in an inbox does, once the request has verified.

Each handler runs inside the inbox's one transaction and receives the sender's
cached row: the signature has shown that the sender is the activity's actor.
What concerns none of ours (a Like of someone else's post, a Follow of an
actor we do not have) is accepted and changes nothing, as on Mastodon. What
concerns members of the social hub (posts of the accounts they follow, their
notifications) is kept by `social_inbox`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import follows, social_inbox
from activitypub.as2 import ACTOR_TYPES, id_of, ids_of, type_of
from activitypub.local_actors import LocalActor, LocalActors
from activitypub.models import (
    Block,
    Follower,
    Following,
    FollowStatus,
    Notification,
    Reaction,
    ReactionKind,
    RemoteActor,
    Reply,
    Report,
    TimelineItem,
)
from activitypub.remote_actors import ActorDocument, RemoteActorError, RemoteActors, host_of, parse_actor
from activitypub.social_text import keep_text, time_of
from activitypub.urls import Urls
from shared.db import utcnow
from shared.outbound import OutboundError

MAX_REPORT_CHARS = 10_000


@dataclass(frozen=True, slots=True)
class Arrival:
    """A verified activity and what its handler may use."""

    session: AsyncSession
    urls: Urls
    local: LocalActors
    remote: RemoteActors
    sender: RemoteActor
    activity: dict[str, Any]
    activity_id: str
    fetched: ActorDocument | None = None  # what the activity's preparation fetched, if it has one

    async def local_actor(self, value: Any) -> LocalActor | None:
        """Ours, when `value` names one of our actors."""
        name = self.urls.actor_name(id_of(value))
        return await self.local.find(self.session, name) if name is not None else None


async def follow(arrival: Arrival) -> None:
    actor = await arrival.local_actor(arrival.activity.get("object"))
    if actor is None:
        return
    session = arrival.session
    row = await session.scalar(
        select(Follower).where(Follower.actor_name == actor.name, Follower.remote_actor_id == arrival.sender.id)
    )
    if row is None:
        row = Follower(
            actor_name=actor.name,
            remote_actor_id=arrival.sender.id,
            follow_uri=arrival.activity_id,
            status=FollowStatus.PENDING,
        )
        session.add(row)
        await session.flush()
        await social_inbox.followed(arrival, actor)
    else:
        row.follow_uri = arrival.activity_id
    # An accepted follower who follows again lost our Accept: answer again, as Mastodon does.
    if row.status == FollowStatus.ACCEPTED or not await arrival.local.approves_manually(session, actor):
        await follows.accept(session, arrival.urls, row, arrival.sender)


async def undo(arrival: Arrival) -> None:
    undone = arrival.activity.get("object")
    undone_id = id_of(undone)
    sender = arrival.sender.id
    session = arrival.session
    if undone_id is not None:
        for model in (Reaction, Block, TimelineItem, Notification):
            await session.execute(delete(model).where(model.uri == undone_id, model.remote_actor_id == sender))
        await session.execute(
            delete(Follower).where(Follower.follow_uri == undone_id, Follower.remote_actor_id == sender)
        )
    if type_of(undone) == "Follow" and isinstance(undone, dict):
        # The Follow undone may not be the one we kept (they followed twice): its target says which.
        actor = await arrival.local_actor(undone.get("object"))
        if actor is not None:
            await session.execute(
                delete(Follower).where(Follower.actor_name == actor.name, Follower.remote_actor_id == sender)
            )


async def accept(arrival: Arrival) -> None:
    """Our Follow of them was accepted."""
    await arrival.session.execute(
        update(Following)
        .where(
            Following.follow_uri == id_of(arrival.activity.get("object")),
            Following.remote_actor_id == arrival.sender.id,
        )
        .values(status=FollowStatus.ACCEPTED, accepted_at=utcnow())
    )


async def reject(arrival: Arrival) -> None:
    """Our Follow of them was refused, or they removed us from their followers."""
    await arrival.session.execute(
        delete(Following).where(
            Following.follow_uri == id_of(arrival.activity.get("object")),
            Following.remote_actor_id == arrival.sender.id,
        )
    )


async def create(arrival: Arrival) -> None:
    posted = arrival.activity.get("object")
    if not isinstance(posted, dict):
        return
    if type_of(posted) == "Note":
        await _keep_reply(arrival, posted, new=True)
    await social_inbox.keep_post(arrival, posted, new=True)


async def update_object(arrival: Arrival) -> None:
    changed = arrival.activity.get("object")
    kind = type_of(changed)
    if kind == "Note" and isinstance(changed, dict):
        await _keep_reply(arrival, changed, new=False)
    elif kind in ACTOR_TYPES and id_of(changed) == arrival.sender.uri:
        # Signed by the actor itself, about itself: the new document replaces our copy, key included.
        try:
            actor = parse_actor(changed)
        except RemoteActorError:
            return
        await arrival.remote.store(arrival.session, actor)
    if isinstance(changed, dict):
        await social_inbox.keep_post(arrival, changed, new=False)


async def _keep_reply(arrival: Arrival, note: dict[str, Any], *, new: bool) -> None:
    """Store (or update) a Note when it replies to one of ours and is the sender's own."""
    uri = id_of(note)
    in_reply_to = id_of(note.get("inReplyTo"))
    if (
        uri is None
        or host_of(uri) != arrival.sender.host
        or id_of(note.get("attributedTo")) != arrival.sender.uri
        or not arrival.urls.is_local(in_reply_to)
    ):
        return
    session = arrival.session
    row = await session.scalar(select(Reply).where(Reply.uri == uri))
    if row is None:
        if not new:
            return
        row = Reply(uri=uri, remote_actor_id=arrival.sender.id, in_reply_to=in_reply_to)
        row.published_at = time_of(note.get("published")) or utcnow()
        session.add(row)
    elif new or row.remote_actor_id != arrival.sender.id:
        return
    else:
        row.updated_at = time_of(note.get("updated")) or utcnow()
    keep_text(row, note)
    if new:
        await social_inbox.replied(arrival, row)


async def like(arrival: Arrival) -> None:
    await _react(arrival, ReactionKind.LIKE)


async def announce(arrival: Arrival) -> None:
    await _react(arrival, ReactionKind.ANNOUNCE)
    await social_inbox.keep_boost(arrival)


async def _react(arrival: Arrival, kind: ReactionKind) -> None:
    object_uri = id_of(arrival.activity.get("object"))
    if object_uri is None or not arrival.urls.is_local(object_uri):
        return
    arrival.session.add(
        Reaction(uri=arrival.activity_id, kind=kind, remote_actor_id=arrival.sender.id, object_uri=object_uri)
    )
    await social_inbox.reacted(arrival, kind, object_uri)


async def delete_object(arrival: Arrival) -> None:
    deleted = id_of(arrival.activity.get("object"))
    if deleted == arrival.sender.uri:
        # The account is gone: its follows, replies, reactions, blocks and reports go with it (cascade).
        await arrival.session.execute(delete(RemoteActor).where(RemoteActor.id == arrival.sender.id))
    elif deleted is not None:
        for model in (Reply, TimelineItem):
            await arrival.session.execute(
                delete(model).where(model.uri == deleted, model.remote_actor_id == arrival.sender.id)
            )


async def block(arrival: Arrival) -> None:
    actor = await arrival.local_actor(arrival.activity.get("object"))
    if actor is None:
        return
    session = arrival.session
    sender = arrival.sender.id
    session.add(Block(uri=arrival.activity_id, actor_name=actor.name, remote_actor_id=sender))
    for model in (Follower, Following):
        await session.execute(delete(model).where(model.actor_name == actor.name, model.remote_actor_id == sender))


async def fetch_move_target(remote: RemoteActors, activity: dict[str, Any]) -> ActorDocument | None:
    """The account a Move names as the new one, fetched now: before the transaction, since a slow peer
    must not hold it open (SQLite has one writer)."""
    target = id_of(activity.get("target"))
    if target is None or target == id_of(activity.get("object")):
        return None
    try:
        return await remote.fetch_actor(target)
    except (OutboundError, RemoteActorError):
        return None


async def move(arrival: Arrival) -> None:
    """The sender moved to another account; believed only when that account names the sender as itself."""
    moved = arrival.fetched
    if id_of(arrival.activity.get("object")) != arrival.sender.uri or moved is None:
        return
    if arrival.sender.uri not in moved.also_known_as:
        return
    await arrival.remote.store(arrival.session, moved)
    arrival.sender.moved_to = moved.uri


async def flag(arrival: Arrival) -> None:
    reported = [uri for uri in ids_of(arrival.activity.get("object")) if arrival.urls.is_local(uri)]
    if not reported:
        return
    content = arrival.activity.get("content")
    arrival.session.add(
        Report(
            uri=arrival.activity_id,
            remote_actor_id=arrival.sender.id,
            content=content[:MAX_REPORT_CHARS] if isinstance(content, str) else "",
            object_uris=reported,
        )
    )


Handler = Callable[[Arrival], Awaitable[None]]
Preparation = Callable[[RemoteActors, dict[str, Any]], Awaitable[ActorDocument | None]]

HANDLERS: dict[str, Handler] = {
    "Follow": follow,
    "Undo": undo,
    "Accept": accept,
    "Reject": reject,
    "Create": create,
    "Update": update_object,
    "Like": like,
    "Announce": announce,
    "Delete": delete_object,
    "Block": block,
    "Move": move,
    "Flag": flag,
}

# Network work a handler needs, done before its transaction opens.
PREPARATIONS: dict[str, Preparation] = {"Move": fetch_move_target}
