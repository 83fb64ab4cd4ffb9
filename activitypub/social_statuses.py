"""Statuses in the social hub: members compose them, read their home timeline, and list a member's own.

A member's status is a Note from their actor, addressed as Mastodon addresses
its visibilities, and queued as a `Create` in `ap_activities`, in the same
transaction, with the inboxes it goes to: one per server of their followers,
and the author's when it replies to a remote status. The delivery side sends
it as it is and lists it in the member's outbox collection when it is public
or unlisted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.as2 import CONTEXT
from activitypub.follows import delivery_inboxes
from activitypub.models import Following, FollowStatus, LocalStatus, RemoteActor, Reply, TimelineItem
from activitypub.outbox_rendering import PUBLIC
from activitypub.social_accounts import accounts, handle_of
from activitypub.social_text import render_status
from activitypub.urls import Urls
from shared import validation
from shared.config import Settings
from shared.contracts.social import MAX_STATUS_CHARS, Draft, Member, RemoteAccount, Status, Visibility
from shared.db import new_id, utcnow
from shared.errors import BadUserInput
from shared.outbox import record_activity
from shared.pagination import Page, paginate

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True, slots=True)
class _ReplyTarget:
    uri: str
    author: RemoteActor | None  # a remote author is mentioned, and gets the reply


async def compose(session: AsyncSession, settings: Settings, member: Member, draft: Draft) -> Status:
    source = validation.text(draft.content, field="content", label="a status", max_length=MAX_STATUS_CHARS).strip()
    if not source:
        raise BadUserInput("a status needs some text", field="content")
    target = await _reply_target(session, member, draft.in_reply_to) if draft.in_reply_to is not None else None
    urls = Urls.from_settings(settings)
    actor = urls.actor(member.handle)
    status_id = new_id()
    row = LocalStatus(
        id=status_id,
        user_id=member.user_id,
        uri=urls.status(member.handle, status_id),
        source=source,
        content=render_status(source),
        visibility=draft.visibility,
        in_reply_to=target.uri if target is not None else None,
        published_at=utcnow(),
    )
    session.add(row)
    note = _note(urls, member.handle, row, target.author if target is not None else None)
    activity = {
        "@context": CONTEXT,
        "id": f"{row.uri}/activity",
        "type": "Create",
        "actor": actor,
        "published": note["published"],
        "to": note["to"],
        "cc": note["cc"],
        "object": note,
    }
    inboxes = await delivery_inboxes(session, member.handle)
    if target is not None and target.author is not None:
        inboxes.append(target.author.shared_inbox or target.author.inbox)
    await record_activity(
        session,
        actor=member.handle,
        verb="Create",
        object_type="Note",
        object_id=status_id,
        payload={"activity": activity, "inboxes": list(dict.fromkeys(inboxes))},
    )
    return local_status(row)


async def home_timeline(session: AsyncSession, member: Member, first: int, after: str | None) -> Page[Status]:
    statement = select(TimelineItem).where(TimelineItem.remote_actor_id.in_(_followed_by(member)))
    page = await paginate(session, statement, TimelineItem.published_at, TimelineItem.id, first, after)
    authors = await accounts(session, member, {item.remote_actor_id for item in page.items})
    return mapped(page, lambda item: remote_status(item, authors[item.remote_actor_id]))


async def member_statuses(
    session: AsyncSession, user_id: str, *, include_followers_only: bool, first: int, after: str | None
) -> Page[Status]:
    statement = select(LocalStatus).where(LocalStatus.user_id == user_id)
    if not include_followers_only:
        statement = statement.where(LocalStatus.visibility != Visibility.FOLLOWERS)
    page = await paginate(session, statement, LocalStatus.published_at, LocalStatus.id, first, after)
    return mapped(page, local_status)


def local_status(row: LocalStatus) -> Status:
    return Status(
        id=row.id,
        uri=row.uri,
        url=None,
        content=row.content,
        summary=None,
        published_at=row.published_at,
        in_reply_to=row.in_reply_to,
        boost_of=None,
        author=None,
        author_user_id=row.user_id,
    )


def remote_status(row: TimelineItem | Reply, author: RemoteAccount) -> Status:
    return Status(
        id=row.id,
        uri=row.uri,
        url=row.url,
        content=row.content,
        summary=row.summary,
        published_at=row.published_at,
        in_reply_to=row.in_reply_to,
        boost_of=row.boost_of if isinstance(row, TimelineItem) else None,
        author=author,
        author_user_id=None,
    )


def mapped(page: Page[T], convert: Callable[[T], U]) -> Page[U]:
    """The same page, each row made into what the contract returns; cursors stay the rows'."""
    return Page(items=[convert(item) for item in page.items], cursors=page.cursors, has_next=page.has_next)


async def status_note(session: AsyncSession, urls: Urls, handle: str, status_id: str) -> dict[str, Any] | None:
    """The Note of `handle`'s status `status_id` for anyone who fetches its id, or None: not there, or
    followers-only, which a fetch that proves no follower may not read."""
    row = await session.scalar(
        select(LocalStatus).where(
            LocalStatus.uri == urls.status(handle, status_id), LocalStatus.visibility != Visibility.FOLLOWERS
        )
    )
    if row is None:
        return None
    mentioned = await _author_of(session, row.in_reply_to) if row.in_reply_to is not None else None
    return {"@context": CONTEXT, **_note(urls, handle, row, mentioned)}


async def _author_of(session: AsyncSession, uri: str) -> RemoteActor | None:
    """The remote author of the status `uri` names, as `_reply_target` found it: a timeline post or a reply."""
    author_id = await session.scalar(
        select(TimelineItem.remote_actor_id).where(TimelineItem.uri == uri)
    ) or await session.scalar(select(Reply.remote_actor_id).where(Reply.uri == uri))
    return await session.get(RemoteActor, author_id) if author_id is not None else None


def _followed_by(member: Member) -> Select[Any]:
    """The remote actors whose follow by the member was accepted."""
    return select(Following.remote_actor_id).where(
        Following.actor_name == member.handle, Following.status == FollowStatus.ACCEPTED
    )


async def _reply_target(session: AsyncSession, member: Member, status_id: str) -> _ReplyTarget:
    """The status `status_id` names, among those the member can read here: their own, other members'
    public and unlisted ones, their home timeline's posts, and replies to their statuses."""
    local = await session.get(LocalStatus, status_id)
    if local is not None and (local.user_id == member.user_id or local.visibility != Visibility.FOLLOWERS):
        return _ReplyTarget(local.uri, None)
    # A boost names a post we do not have, so there is nothing to answer in it.
    item = await session.scalar(
        select(TimelineItem).where(
            TimelineItem.id == status_id,
            TimelineItem.boost_of.is_(None),
            TimelineItem.remote_actor_id.in_(_followed_by(member)),
        )
    )
    if item is not None:
        return _ReplyTarget(item.uri, await session.get(RemoteActor, item.remote_actor_id))
    reply = await session.scalar(
        select(Reply).where(
            Reply.id == status_id,
            Reply.in_reply_to.in_(select(LocalStatus.uri).where(LocalStatus.user_id == member.user_id)),
        )
    )
    if reply is not None:
        return _ReplyTarget(reply.uri, await session.get(RemoteActor, reply.remote_actor_id))
    raise BadUserInput("inReplyTo must name a status you can see here", field="inReplyTo")


def _note(urls: Urls, handle: str, row: LocalStatus, mentioned: RemoteActor | None) -> dict[str, Any]:
    followers = urls.followers(handle)
    mentions = [mentioned.uri] if mentioned is not None else []
    # As Mastodon addresses its visibilities, so its users see them as such.
    if row.visibility == Visibility.PUBLIC:
        to, cc = [PUBLIC], [followers, *mentions]
    elif row.visibility == Visibility.UNLISTED:
        to, cc = [followers], [PUBLIC, *mentions]
    else:
        to, cc = [followers], mentions
    note: dict[str, Any] = {
        "id": row.uri,
        "type": "Note",
        "attributedTo": urls.actor(handle),
        "content": row.content,
        "published": row.published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "to": to,
        "cc": cc,
        "inReplyTo": row.in_reply_to,
        "tag": [],
    }
    if mentioned is not None:
        # Mastodon notifies the people a status mentions; a reply mentions the author it answers.
        note["tag"].append({"type": "Mention", "href": mentioned.uri, "name": f"@{handle_of(mentioned)}"})
    return note
