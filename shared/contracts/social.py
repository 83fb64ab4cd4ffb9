"""The social hub: members follow accounts on other Fediverse servers, read a home timeline and their
notifications, and post statuses that federate.

The federation subgraph owns members and serves this in GraphQL; the ActivityPub side owns the follows,
timelines, statuses and notifications, and implements the contract. Looking an account up is a network call
(WebFinger, then the actor document): `find_account` makes it, outside any write transaction, and every
other method takes the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession

from shared.cache import Cache
from shared.config import Settings
from shared.pagination import Page

MAX_STATUS_CHARS = 500  # Mastodon's limit, so what a member writes fits everywhere it goes


class FollowState(StrEnum):
    NONE = "none"
    PENDING = "pending"  # asked; the account's server has not accepted yet
    ACCEPTED = "accepted"


class Visibility(StrEnum):
    PUBLIC = "public"  # to everyone, and listed in public places
    UNLISTED = "unlisted"  # to everyone, but not listed
    FOLLOWERS = "followers"  # to the member's followers only


class NotificationKind(StrEnum):
    FOLLOW = "follow"
    REPLY = "reply"
    LIKE = "like"
    BOOST = "boost"


@dataclass(frozen=True, slots=True)
class Member:
    """The signed-in member the hub acts for; their handle names their actor."""

    user_id: str
    handle: str


@dataclass(frozen=True, slots=True)
class RemoteAccount:
    handle: str  # user@host, without the leading @
    uri: str  # its ActivityPub id
    display_name: str | None
    avatar_url: str | None
    follow_status: FollowState  # the member's follow of it


@dataclass(frozen=True, slots=True)
class Status:
    id: str
    uri: str
    url: str | None  # its web page, when its server gives one
    content: str  # sanitised HTML; empty for a boost, which only names what it boosts
    summary: str | None  # a content warning
    published_at: datetime
    in_reply_to: str | None  # the URI of the status it answers
    boost_of: str | None  # the URI of the status a boost shares
    # Exactly one of these: the remote account that posted (or boosted) it, or the member who wrote it.
    author: RemoteAccount | None
    author_user_id: str | None


@dataclass(frozen=True, slots=True)
class Notification:
    id: str
    kind: NotificationKind
    account: RemoteAccount  # who followed, replied, liked or boosted
    status: Status | None  # the reply itself; the member's status liked or boosted; none for a follow
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Draft:
    content: str  # plain text or limited Markdown: emphasis, code, links, line breaks
    visibility: Visibility
    in_reply_to: str | None  # a status id, as `Status.id`


@runtime_checkable
class SocialHub(Protocol):
    async def find_account(
        self, session: AsyncSession, settings: Settings, cache: Cache, member: Member, handle: str
    ) -> RemoteAccount:
        """Look `handle` (user@host, with or without a leading @) up on its server and remember the account.

        Network calls: make this before opening a write transaction. Raises BadUserInput naming `handle`
        when it is malformed, ours, unknown, or its server cannot be reached.
        """
        ...

    async def follow(self, session: AsyncSession, settings: Settings, member: Member, uri: str) -> RemoteAccount:
        """Follow the account `find_account` found (by its uri): pending until its server accepts."""
        ...

    async def unfollow(self, session: AsyncSession, settings: Settings, member: Member, handle: str) -> RemoteAccount:
        """Stop following `handle`; BadUserInput when the member does not follow it."""
        ...

    async def compose(self, session: AsyncSession, settings: Settings, member: Member, draft: Draft) -> Status:
        """Post a status as the member; it is sent to their followers in the same transaction."""
        ...

    async def home_timeline(self, session: AsyncSession, member: Member, first: int, after: str | None) -> Page[Status]:
        """Posts and boosts of the accounts the member follows, newest first."""
        ...

    async def notifications(
        self, session: AsyncSession, member: Member, first: int, after: str | None
    ) -> Page[Notification]:
        """The member's own notifications, newest first."""
        ...

    async def statuses(
        self, session: AsyncSession, user_id: str, *, include_followers_only: bool, first: int, after: str | None
    ) -> Page[Status]:
        """A member's statuses, newest first; followers-only ones when `include_followers_only`."""
        ...
