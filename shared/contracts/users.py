"""Users, as other domains may look them up or bring them in (blog authors, from demo data or a Ghost import)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession


@runtime_checkable
class Authors(Protocol):
    async def user_id_by_handle(self, session: AsyncSession, handle: str) -> str | None:
        """The id of the user with this handle, if there is one."""
        ...

    async def create_author(
        self, session: AsyncSession, *, handle_hint: str, display_name: str, avatar_url: str | None
    ) -> str:
        """Add a member without an email (someone who wrote for the blog but has no account yet); return the id.

        The handle is `handle_hint` made valid, with a number added if it is taken.
        """
        ...


@runtime_checkable
class MemberEmails(Protocol):
    async def email_of(self, session: AsyncSession, user_id: str) -> str | None:
        """The member's account email, normalised (lowercase), or None if they have none or do not exist."""
        ...


@dataclass(frozen=True, slots=True)
class MemberCounts:
    total: int  # accounts: members who can sign in
    active_month: int  # signed in during the last 30 days
    active_halfyear: int  # during the last 180 days


@runtime_checkable
class MemberStatistics(Protocol):
    async def member_counts(self, session: AsyncSession, *, now: datetime) -> MemberCounts:
        """How many members have accounts, and how many of them signed in recently (what NodeInfo reports)."""
        ...
