"""Profiles and preferences: bio, locale and time zone, changed by the member or an admin."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Viewer
from shared.errors import BadUserInput, Forbidden, Unauthenticated
from subgraphs.account.models import Profile

MAX_BIO = 2000
_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def default_profile(user_id: str) -> Profile:
    """What a member who never set anything has: the platform's defaults, not nothing."""
    return Profile(user_id=user_id, bio="", locale="en", time_zone="UTC")


async def profiles_for(session: AsyncSession, user_ids: Sequence[str]) -> list[Profile]:
    rows = (await session.scalars(select(Profile).where(Profile.user_id.in_(user_ids)))).all()
    found = {row.user_id: row for row in rows}
    return [found.get(user_id) or default_profile(user_id) for user_id in user_ids]


async def update_preferences(
    session: AsyncSession,
    viewer: Viewer,
    user_id: str,
    *,
    bio: str | None = None,
    locale: str | None = None,
    time_zone: str | None = None,
) -> Profile:
    if not viewer.is_authenticated:
        raise Unauthenticated("sign in to change preferences")
    if viewer.user_id != user_id and not viewer.has_role("admin"):
        raise Forbidden("only the member or an admin may change these preferences")
    if bio is not None and len(bio) > MAX_BIO:
        raise BadUserInput(f"bio must be at most {MAX_BIO} characters", field="bio")
    if locale is not None and not _LOCALE.match(locale):
        raise BadUserInput("locale must be a language tag such as en or pt-BR", field="locale")
    if time_zone is not None and time_zone not in _time_zones():
        raise BadUserInput("time zone must be an IANA zone such as Europe/Lisbon", field="timeZone")
    profile = await session.get(Profile, user_id)
    if profile is None:
        profile = default_profile(user_id)
        session.add(profile)
    if bio is not None:
        profile.bio = bio.strip()
    if locale is not None:
        profile.locale = locale
    if time_zone is not None:
        profile.time_zone = time_zone
    await session.flush()
    return profile
