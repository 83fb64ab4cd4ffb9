"""The social hub's side of the inbox: posts for members' home timelines, and members' notifications.

The inbox handlers call these inside the inbox's transaction, once the sender
has verified. What is kept is what concerns members: posts and boosts of
accounts some member follows, when addressed to everyone or to the account's
followers (one copy serves every member following it, so a post meant for
fewer people, a direct message, is not kept); and follows of a member,
replies to, likes and boosts of a member's status.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select

from activitypub.as2 import id_of, type_of
from activitypub.local_actors import ActorKind, LocalActor
from activitypub.models import Following, LocalStatus, Notification, ReactionKind, Reply, TimelineItem
from activitypub.outbox_rendering import PUBLIC
from activitypub.remote_actors import host_of
from activitypub.social_text import keep_text, time_of
from shared.contracts.social import NotificationKind
from shared.db import utcnow

if TYPE_CHECKING:
    from activitypub.inbox_handlers import Arrival

# What a home timeline shows: the kinds of post Mastodon shows.
POST_TYPES = frozenset({"Note", "Article", "Question", "Page", "Event", "Video", "Audio", "Image"})
# JSON-LD compaction lets peers write the public collection these ways too.
_PUBLIC = frozenset({PUBLIC, "as:Public", "Public"})
_NOTIFIED = {ReactionKind.LIKE: NotificationKind.LIKE, ReactionKind.ANNOUNCE: NotificationKind.BOOST}


async def keep_post(arrival: Arrival, post: dict[str, Any], *, new: bool) -> None:
    """Keep a new post of an account a member follows, or edit a kept one; only the sender's own posts."""
    uri = id_of(post)
    sender = arrival.sender
    kind = type_of(post)
    if (
        uri is None
        or kind not in POST_TYPES
        or host_of(uri) != sender.host
        or id_of(post.get("attributedTo")) != sender.uri
    ):
        return
    session = arrival.session
    row = await session.scalar(select(TimelineItem).where(TimelineItem.uri == uri))
    if row is None:
        if not new or not await _followed(arrival) or not _for_followers(arrival, post, arrival.activity):
            return
        row = TimelineItem(uri=uri, remote_actor_id=sender.id, kind=kind, published_at=_published(post))
        session.add(row)
    elif new or row.remote_actor_id != sender.id:
        return
    else:
        row.updated_at = time_of(post.get("updated")) or utcnow()
    keep_text(row, post)
    row.in_reply_to = id_of(post.get("inReplyTo"))


async def keep_boost(arrival: Arrival) -> None:
    """Keep a boost by an account a member follows. It names the post it shares, which is not fetched."""
    boosted = id_of(arrival.activity.get("object"))
    sender = arrival.sender
    if (
        boosted is None
        or host_of(arrival.activity_id) != sender.host
        or not await _followed(arrival)
        or not _for_followers(arrival, arrival.activity)
    ):
        return
    arrival.session.add(
        TimelineItem(
            uri=arrival.activity_id,
            remote_actor_id=sender.id,
            kind="Announce",
            boost_of=boosted,
            published_at=_published(arrival.activity),
        )
    )


async def followed(arrival: Arrival, actor: LocalActor) -> None:
    """One of ours has a new follower: a member hears of it."""
    if actor.kind is ActorKind.MEMBER and actor.user_id is not None:
        await _notify(arrival, actor.user_id, NotificationKind.FOLLOW, arrival.activity_id)


async def replied(arrival: Arrival, reply: Reply) -> None:
    """A reply to one of ours was kept: when it answers a member's status, the member hears of it."""
    status = await _status(arrival, reply.in_reply_to)
    if status is not None:
        await arrival.session.flush()  # the new reply gets its id
        await _notify(
            arrival, status.user_id, NotificationKind.REPLY, reply.uri, status_id=status.id, reply_id=reply.id
        )


async def reacted(arrival: Arrival, kind: ReactionKind, object_uri: str) -> None:
    """A Like or boost of one of ours: when it is a member's status, the member hears of it."""
    status = await _status(arrival, object_uri)
    if status is not None:
        await _notify(arrival, status.user_id, _NOTIFIED[kind], arrival.activity_id, status_id=status.id)


async def _notify(
    arrival: Arrival,
    user_id: str,
    kind: NotificationKind,
    uri: str,
    *,
    status_id: str | None = None,
    reply_id: str | None = None,
) -> None:
    session = arrival.session
    if await session.scalar(select(Notification.id).where(Notification.uri == uri)) is not None:
        return
    session.add(
        Notification(
            user_id=user_id,
            kind=kind,
            remote_actor_id=arrival.sender.id,
            uri=uri,
            status_id=status_id,
            reply_id=reply_id,
        )
    )


async def _status(arrival: Arrival, uri: str) -> LocalStatus | None:
    return await arrival.session.scalar(select(LocalStatus).where(LocalStatus.uri == uri))


async def _followed(arrival: Arrival) -> bool:
    """Whether some member follows (or has asked to follow) the sender."""
    return bool(await arrival.session.scalar(select(exists().where(Following.remote_actor_id == arrival.sender.id))))


def _for_followers(arrival: Arrival, *addressed: dict[str, Any]) -> bool:
    """Whether any of `addressed` (a post, its activity) is for everyone or for the sender's followers."""
    followers = id_of(arrival.sender.document.get("followers"))
    for value in addressed:
        audience = {*_audience(value.get("to")), *_audience(value.get("cc"))}
        if audience & _PUBLIC or (followers is not None and followers in audience):
            return True
    return False


def _audience(value: Any) -> list[str]:
    """The ids an addressing property (`to`, `cc`) names, as given: the public collection may be in a short form."""
    values = value if isinstance(value, list) else [value]
    ids = (item.get("id") if isinstance(item, dict) else item for item in values)
    return [uri for uri in ids if isinstance(uri, str)]


def _published(value: dict[str, Any]) -> datetime:
    """When the peer says it was published, but never later than now: a post cannot pin itself on top."""
    now = utcnow()
    published = time_of(value.get("published"))
    return min(published, now) if published is not None else now
