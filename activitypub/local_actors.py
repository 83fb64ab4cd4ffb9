"""Our actors: one per domain, the instance actor, and one per member of the social hub.

Domain and instance actors are fixed here and share the instance keypair.
Members are the federation domain's users, found by handle through the
Authors contract (the sidecar reads no domain table); a member's own keypair
and federation preferences are made on first use, in `ap_member_actors`.
The federation domain reserves these names, so no member can take one.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub.instance_keys import generate_keypair_pems
from activitypub.models import MemberActor
from shared.contracts import contracts
from shared.contracts.users import Authors

INSTANCE_ACTOR = "instance"
_HANDLE = re.compile(r"^[a-z0-9_]{3,30}$")


class ActorKind(StrEnum):
    DOMAIN = "domain"
    INSTANCE = "instance"
    MEMBER = "member"


@dataclass(frozen=True, slots=True)
class DomainActor:
    name: str
    display_name: str
    summary: str  # HTML
    page_path: str  # its web page, under PUBLIC_URL


DOMAIN_ACTORS: dict[str, DomainActor] = {
    actor.name: actor
    for actor in (
        DomainActor("blog", "Rose Ash Blog", "<p>Posts from the Rose Ash cooperative.</p>", "/blog/"),
        DomainActor(
            "market", "Rose Ash Market", "<p>The markets and products of the Rose Ash cooperative.</p>", "/market/"
        ),
        DomainActor(
            "events", "Rose Ash Events", "<p>Events, tickets and bookings at the Rose Ash cooperative.</p>", "/events/"
        ),
    )
}


@dataclass(frozen=True, slots=True)
class LocalActor:
    name: str  # its preferredUsername, and the last part of its id
    kind: ActorKind
    user_id: str | None = None  # members only


def page_path(actor: LocalActor) -> str:
    """The actor's web page under PUBLIC_URL: WebFinger's profile page, and where browsers are sent."""
    if actor.kind is ActorKind.DOMAIN:
        return DOMAIN_ACTORS[actor.name].page_path
    if actor.kind is ActorKind.MEMBER:
        return f"/members/{actor.name}/"
    return "/"


class LocalActors:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def find(self, session: AsyncSession, name: str) -> LocalActor | None:
        """Our actor called `name`, or None. Makes nothing: a lookup is not a use."""
        if name in DOMAIN_ACTORS:
            return LocalActor(name, ActorKind.DOMAIN)
        if name == INSTANCE_ACTOR:
            return LocalActor(name, ActorKind.INSTANCE)
        if not _HANDLE.match(name):
            return None
        user_id = await contracts.get(Authors).user_id_by_handle(session, name)
        return LocalActor(name, ActorKind.MEMBER, user_id) if user_id is not None else None

    async def approves_manually(self, session: AsyncSession, actor: LocalActor) -> bool:
        """Whether Follows of `actor` wait for approval. The instance actor, as on Mastodon, accepts none by itself."""
        if actor.kind is ActorKind.INSTANCE:
            return True
        if actor.kind is ActorKind.DOMAIN:
            return False
        row = await session.get(MemberActor, actor.user_id)
        return row is not None and row.manually_approves_followers

    async def member(self, actor: LocalActor) -> MemberActor:
        """A member's actor row, with the keypair it gets on first use."""
        assert actor.user_id is not None, "members only"
        async with self._sessions() as session:
            row = await session.get(MemberActor, actor.user_id)
            if row is not None:
                return row
            private_pem, public_pem = await asyncio.to_thread(generate_keypair_pems)
            row = MemberActor(
                user_id=actor.user_id,
                handle=actor.name,
                private_key_pem=private_pem,
                public_key_pem=public_pem,
            )
            session.add(row)
            try:
                await session.commit()
            except IntegrityError:  # made by a concurrent request a moment ago: that one stands
                await session.rollback()
                existing = await session.get(MemberActor, actor.user_id)
                assert existing is not None
                return existing
            return row
