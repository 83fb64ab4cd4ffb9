"""Profiles and preferences: bio, locale and time zone, changed by the member or an admin."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Viewer
from shared.errors import BadUserInput, Forbidden, Unauthenticated
from shared.validation import text
from subgraphs.account.models import Profile

MAX_BIO = 2000
_LOCALE = re.compile(r"[a-z]{2,3}(-[A-Z]{2})?")  # use with fullmatch


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
    if bio is not None:
        bio = text(bio.strip(), field="bio", label="bio", max_length=MAX_BIO)
    if locale is not None and not _LOCALE.fullmatch(locale):
        raise BadUserInput("locale must be a language tag such as en or pt-BR", field="locale")
    if time_zone is not None and time_zone not in _time_zones():
        raise BadUserInput("time zone must be an IANA zone such as Europe/Lisbon", field="timeZone")
    profile = await session.get(Profile, user_id) or await _create_profile(session, user_id)
    if bio is not None:
        profile.bio = bio
    if locale is not None:
        profile.locale = locale
    if time_zone is not None:
        profile.time_zone = time_zone
    await session.flush()
    return profile


async def _create_profile(session: AsyncSession, user_id: str) -> Profile:
    """The member's first profile row, or the one a concurrent first change wrote a moment ago.

    On SQLite the savepoint is the transaction's first statement, and pysqlite
    commits it on release: the default row may be kept even if the change then
    fails, which is harmless, as a default row reads the same as none.
    """
    try:
        async with session.begin_nested():  # a savepoint: losing the race must not end the transaction
            profile = default_profile(user_id)
            session.add(profile)
        return profile
    except IntegrityError:  # the clash came once the other transaction committed, so its row is there to read
        return await session.get_one(Profile, user_id)
