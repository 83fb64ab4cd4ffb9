"""Newsletters: created and changed by admins, listed for everyone, counted for admins."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Viewer
from shared.errors import Conflict, Forbidden, NotFound, Unauthenticated
from shared.pagination import Page, paginate
from shared.validation import line, text
from subgraphs.account.models import Cadence, Newsletter, Subscription, SubscriptionStatus

MAX_DESCRIPTION = 2000


def require_admin(viewer: Viewer, action: str) -> None:
    if not viewer.is_authenticated:
        raise Unauthenticated(f"sign in to {action}")
    if not viewer.has_role("admin"):
        raise Forbidden(f"only admins may {action}")


def normalise_name(raw: str) -> str:
    return line(raw, field="name", label="name", max_length=100)


def normalise_description(raw: str) -> str:
    return text(raw.strip(), field="description", label="description", max_length=MAX_DESCRIPTION)


async def get(session: AsyncSession, newsletter_id: str, *, field: str = "id") -> Newsletter:
    newsletter = await session.get(Newsletter, newsletter_id)
    if newsletter is None:
        raise NotFound("no such newsletter", field=field, id=newsletter_id)
    return newsletter


async def create(session: AsyncSession, viewer: Viewer, *, name: str, description: str, cadence: Cadence) -> Newsletter:
    require_admin(viewer, "create newsletters")
    newsletter = Newsletter(name=normalise_name(name), description=normalise_description(description), cadence=cadence)
    await _check_name_free(session, newsletter.name)
    session.add(newsletter)
    await _flush_name(session)
    return newsletter


async def update(
    session: AsyncSession,
    viewer: Viewer,
    newsletter_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    cadence: Cadence | None = None,
) -> Newsletter:
    require_admin(viewer, "change newsletters")
    newsletter = await get(session, newsletter_id)
    if name is not None:
        new_name = normalise_name(name)
        if new_name != newsletter.name:
            await _check_name_free(session, new_name)
        newsletter.name = new_name
    if description is not None:
        newsletter.description = normalise_description(description)
    if cadence is not None:
        newsletter.cadence = cadence
    await _flush_name(session)
    return newsletter


async def _check_name_free(session: AsyncSession, name: str) -> None:
    if await session.scalar(select(Newsletter.id).where(Newsletter.name == name)):
        raise Conflict(f"a newsletter named {name!r} exists", field="name")


async def _flush_name(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError:  # a concurrent create or rename took the name first
        raise Conflict("a newsletter with this name exists", field="name") from None


async def by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Newsletter | None]:
    rows = (await session.scalars(select(Newsletter).where(Newsletter.id.in_(ids)))).all()
    found = {row.id: row for row in rows}
    return [found.get(i) for i in ids]


async def listing(session: AsyncSession, first: int, after: str | None) -> Page[Newsletter]:
    return await paginate(session, select(Newsletter), Newsletter.created_at, Newsletter.id, first, after)


async def subscriber_counts(session: AsyncSession, ids: Sequence[str]) -> list[int]:
    """Confirmed subscribers of each newsletter, in one query for them all."""
    rows = await session.execute(
        select(Subscription.newsletter_id, func.count())
        .where(Subscription.newsletter_id.in_(ids), Subscription.status == SubscriptionStatus.CONFIRMED)
        .group_by(Subscription.newsletter_id)
    )
    counts: dict[str, int] = {newsletter_id: count for newsletter_id, count in rows.all()}
    return [counts.get(i, 0) for i in ids]
