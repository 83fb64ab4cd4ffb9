"""The federation subgraph's side of the contracts other domains call."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import ContractRegistry
from shared.contracts.users import Authors, MemberCounts, MemberEmails, MemberStatistics
from shared.errors import BadUserInput
from subgraphs.federation import service
from subgraphs.federation.models import User
from subgraphs.federation.oauth_models import IssuedToken, LoginSession

_NOT_HANDLE = re.compile(r"[^a-z0-9_]+")


class FederationAuthors:
    async def user_id_by_handle(self, session: AsyncSession, handle: str) -> str | None:
        return await session.scalar(select(User.id).where(User.handle == handle.strip().lower()))

    async def create_author(
        self, session: AsyncSession, *, handle_hint: str, display_name: str, avatar_url: str | None
    ) -> str:
        base = _NOT_HANDLE.sub("_", handle_hint.strip().lower()).strip("_")[:26] or "author"
        if len(base) < 3 or base in service.RESERVED_HANDLES:
            base = f"{base}_author"[:26]
        taken = set((await session.scalars(select(User.handle).where(User.handle.like(f"{base}%")))).all())
        handle = base
        n = 2
        while handle in taken:
            handle = f"{base}_{n}"
            n += 1
        try:
            avatar = service.normalise_avatar_url(avatar_url)
        except BadUserInput:
            avatar = None  # an imported author keeps their name even when their picture's address is unusable
        user = User(
            handle=service.normalise_handle(handle),
            email=None,
            display_name=service.normalise_display_name(display_name[:100] or handle),
            avatar_url=avatar,
            roles=["member"],
        )
        session.add(user)
        await session.flush()
        return user.id


class FederationMemberEmails:
    async def email_of(self, session: AsyncSession, user_id: str) -> str | None:
        return await session.scalar(select(User.email).where(User.id == user_id))


class FederationMemberStatistics:
    async def member_counts(self, session: AsyncSession, *, now: datetime) -> MemberCounts:
        total = await session.scalar(select(func.count()).select_from(User).where(User.email.is_not(None)))
        return MemberCounts(
            total=total or 0,
            active_month=await _signed_in_since(session, now - timedelta(days=30)),
            active_halfyear=await _signed_in_since(session, now - timedelta(days=180)),
        )


async def _signed_in_since(session: AsyncSession, since: datetime) -> int:
    """Members who signed in at the authorization server, or whose client got them a token, since `since`."""
    members = union(
        select(LoginSession.user_id).where(LoginSession.authenticated_at >= since),
        select(IssuedToken.user_id).where(IssuedToken.user_id.is_not(None), IssuedToken.issued_at >= since),
    ).subquery()
    return await session.scalar(select(func.count()).select_from(members)) or 0


AUTHORS = FederationAuthors()
MEMBER_EMAILS = FederationMemberEmails()
MEMBER_STATISTICS = FederationMemberStatistics()


def register(registry: ContractRegistry) -> None:
    registry.register(Authors, AUTHORS)
    registry.register(MemberEmails, MEMBER_EMAILS)
    registry.register(MemberStatistics, MEMBER_STATISTICS)
