"""Remote accounts in the social hub: found by handle, shown, followed and unfollowed.

A handle is `user@host`, as people write it (a leading @ allowed). The host's
WebFinger names the account's actor, whose document is fetched signed as our
instance actor (servers in secure mode require it) and cached in
`ap_remote_actors`. That cache write is a short transaction of its own, made
after the network calls and before the caller's write transaction opens, so no
remote server is ever waited on while a write lock is held (SQLite has one
writer).

Following queues a Follow for the account's inbox and stays pending until its
server's Accept arrives (the inbox handlers mark it accepted, or remove it on
a Reject); unfollowing queues an Undo of that Follow.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from activitypub.as2 import ACTIVITY_JSON, AS_NAMESPACE, CONTEXT, id_of
from activitypub.instance_keys import InstanceKeys
from activitypub.models import Block, Following, FollowStatus, RemoteActor, TimelineItem
from activitypub.remote_actors import ActorDocument, RemoteActorError, RemoteActors
from activitypub.social_text import link_of
from activitypub.urls import Urls
from shared.cache import Cache
from shared.config import Settings
from shared.contracts.social import FollowState, Member, RemoteAccount
from shared.db import create_sessionmaker, new_id
from shared.errors import BadUserInput, Forbidden
from shared.outbound import Outbound, OutboundError
from shared.outbox import record_activity

_HANDLE = re.compile(r"@?(?P<user>[A-Za-z0-9_.~-]{1,255})@(?P<host>[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?)")
WEBFINGER = "/.well-known/webfinger"
JRD_ACCEPT = "application/jrd+json, application/json"
# Longer names are cut: a peer's document may be megabytes, a name on a page is a line.
MAX_DISPLAY_NAME = 100


@dataclass(frozen=True, slots=True)
class Handle:
    user: str
    host: str  # lowercase, with its port when it has one

    def __str__(self) -> str:
        return f"{self.user}@{self.host}"


def parse_handle(raw: str, urls: Urls) -> Handle:
    """A remote account's handle, or BadUserInput naming `handle`."""
    match = _HANDLE.fullmatch(raw.strip())
    if match is None:
        raise BadUserInput("handle must be an account's user@host, as in alice@example.org", field="handle")
    handle = Handle(match["user"], match["host"].lower())
    if handle.host in (urls.domain, urls.authority):
        raise BadUserInput(f"{handle} is an account of this site, not of another server", field="handle")
    return handle


async def find_account(
    session: AsyncSession, settings: Settings, cache: Cache, member: Member, raw_handle: str
) -> RemoteAccount:
    urls = Urls.from_settings(settings)
    handle = parse_handle(raw_handle, urls)
    actor_uri = await _webfinger(settings, handle)
    if urls.is_local(actor_uri):
        raise BadUserInput(f"{handle} is an account of this site, not of another server", field="handle")
    # Cached in a short transaction of its own, on the caller's engine: the caller's write has not begun.
    assert isinstance(session.bind, AsyncEngine), "a session bound to an engine"
    sessions = create_sessionmaker(session.bind)
    remote = RemoteActors(settings, urls, sessions, cache, InstanceKeys(sessions))
    try:
        actor = await remote.fetch_actor(actor_uri)
    except OutboundError as exc:
        raise _unreachable(handle, exc) from None
    except RemoteActorError as exc:
        raise BadUserInput(f"{handle} cannot be followed from here: {exc.reason}", field="handle") from None
    if (actor.preferred_username or "").lower() != handle.user.lower():
        raise BadUserInput(f"{handle.host} names another account, {actor.uri}, for {handle}", field="handle")
    row = await _cache(sessions, remote, actor)
    states = await follow_states(session, member, [row.id])
    return account(row, states.get(row.id, FollowState.NONE))


async def follow(session: AsyncSession, settings: Settings, member: Member, uri: str) -> RemoteAccount:
    remote = await session.scalar(select(RemoteActor).where(RemoteActor.uri == uri))
    if remote is None:  # removed (its server deleted it) since it was found
        raise BadUserInput("that account is gone from its server", field="handle")
    existing = await session.scalar(
        select(Following).where(Following.actor_name == member.handle, Following.remote_actor_id == remote.id)
    )
    if existing is not None:
        return account(remote, FollowState(existing.status))
    blocked = await session.scalar(
        select(exists().where(Block.actor_name == member.handle, Block.remote_actor_id == remote.id))
    )
    if blocked:
        raise Forbidden(f"{handle_of(remote)} has blocked you")
    urls = Urls.from_settings(settings)
    actor = urls.actor(member.handle)
    follow_uri = f"{actor}#follows/{new_id()}"
    session.add(
        Following(
            actor_name=member.handle, remote_actor_id=remote.id, follow_uri=follow_uri, status=FollowStatus.PENDING
        )
    )
    activity = {"@context": CONTEXT, "id": follow_uri, "type": "Follow", "actor": actor, "object": remote.uri}
    await record_activity(
        session,
        actor=member.handle,
        verb="Follow",
        object_type="Actor",
        object_id=remote.id,
        payload={"activity": activity, "inboxes": [remote.inbox]},
    )
    return account(remote, FollowState.PENDING)


async def unfollow(session: AsyncSession, settings: Settings, member: Member, raw_handle: str) -> RemoteAccount:
    urls = Urls.from_settings(settings)
    handle = parse_handle(raw_handle, urls)
    found = (
        await session.execute(
            select(Following, RemoteActor)
            .join(RemoteActor, RemoteActor.id == Following.remote_actor_id)
            .where(
                Following.actor_name == member.handle,
                func.lower(RemoteActor.preferred_username) == handle.user.lower(),
                RemoteActor.host == handle.host,
            )
        )
    ).first()
    if found is None:
        raise BadUserInput(f"you do not follow {handle}", field="handle")
    following, remote = found
    actor = urls.actor(member.handle)
    undo = {
        "@context": CONTEXT,
        "id": f"{following.follow_uri}/undo",
        "type": "Undo",
        "actor": actor,
        "object": {"id": following.follow_uri, "type": "Follow", "actor": actor, "object": remote.uri},
    }
    await record_activity(
        session,
        actor=member.handle,
        verb="Undo",
        object_type="Follow",
        object_id=str(following.id),
        payload={"activity": undo, "inboxes": [remote.inbox]},
    )
    await session.delete(following)
    await session.flush()
    if not await session.scalar(select(exists().where(Following.remote_actor_id == remote.id))):
        # No member follows the account any more: nobody's timeline shows its posts.
        await session.execute(delete(TimelineItem).where(TimelineItem.remote_actor_id == remote.id))
    return account(remote, FollowState.NONE)


def account(row: RemoteActor, state: FollowState) -> RemoteAccount:
    document: dict[str, Any] = row.document or {}
    name = document.get("name")
    display_name = name.strip()[:MAX_DISPLAY_NAME] if isinstance(name, str) else ""
    icon = document.get("icon")
    if isinstance(icon, list):
        icon = icon[0] if icon else None
    return RemoteAccount(
        handle=handle_of(row),
        uri=row.uri,
        display_name=display_name or None,
        avatar_url=link_of(icon.get("url")) if isinstance(icon, dict) else None,
        follow_status=state,
    )


def handle_of(row: RemoteActor) -> str:
    """`user@host`; an actor without a username (rare) goes by the last part of its id."""
    user = row.preferred_username or row.uri.rstrip("/").rpartition("/")[2]
    return f"{user}@{row.host}"


async def accounts(session: AsyncSession, member: Member, ids: Collection[str]) -> dict[str, RemoteAccount]:
    """The remote actors `ids` as the member sees them, by id."""
    if not ids:
        return {}
    rows = (await session.scalars(select(RemoteActor).where(RemoteActor.id.in_(ids)))).all()
    states = await follow_states(session, member, ids)
    return {row.id: account(row, states.get(row.id, FollowState.NONE)) for row in rows}


async def follow_states(session: AsyncSession, member: Member, ids: Collection[str]) -> dict[str, FollowState]:
    statement = select(Following.remote_actor_id, Following.status).where(
        Following.actor_name == member.handle, Following.remote_actor_id.in_(ids)
    )
    return {remote_id: FollowState(status) for remote_id, status in (await session.execute(statement)).all()}


async def _webfinger(settings: Settings, handle: Handle) -> str:
    """The id of the actor `handle`'s server names for it."""
    query = {"resource": f"acct:{handle}"}
    headers = {"Accept": JRD_ACCEPT}
    async with Outbound(settings) as http:
        try:
            try:
                response = await http.get(f"https://{handle.host}{WEBFINGER}", headers=headers, params=query)
            except OutboundError as exc:
                if exc.status is not None or not settings.outbound_allow_private:
                    raise
                # Where private addresses may be reached (tests, development), a local server without TLS too.
                response = await http.get(f"http://{handle.host}{WEBFINGER}", headers=headers, params=query)
            jrd = response.json()
        except OutboundError as exc:
            if exc.status in (404, 410):
                raise BadUserInput(f"{handle.host} has no account {handle.user}", field="handle") from None
            raise _unreachable(handle, exc) from None
    links = jrd.get("links") if isinstance(jrd, dict) else None
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("rel") == "self" and _is_activitystreams(link.get("type")):
            href = id_of(link.get("href"))
            if href is not None:
                return href
    raise BadUserInput(f"{handle} is not an ActivityPub account", field="handle")


def _is_activitystreams(media_type: Any) -> bool:
    if not isinstance(media_type, str):
        return False
    return media_type == ACTIVITY_JSON or (media_type.startswith("application/ld+json") and AS_NAMESPACE in media_type)


def _unreachable(handle: Handle, error: OutboundError) -> BadUserInput:
    return BadUserInput(
        f"cannot look {handle} up: {handle.host} did not answer as expected ({error.reason}); try again later",
        field="handle",
    )


async def _cache(sessions: async_sessionmaker[AsyncSession], remote: RemoteActors, actor: ActorDocument) -> RemoteActor:
    try:
        async with sessions() as session, session.begin():
            return await remote.store(session, actor)
    except IntegrityError:  # a concurrent look-up stored it a moment ago: this one updates that row
        async with sessions() as session, session.begin():
            return await remote.store(session, actor)
