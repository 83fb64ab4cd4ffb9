"""A member's notifications, as the inbox recorded them (`social_inbox`): newest first, with who and what."""

from __future__ import annotations

from collections.abc import Collection
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.models import LocalStatus, Reply
from activitypub.models import Notification as NotificationRow
from activitypub.social_accounts import accounts
from activitypub.social_statuses import local_status, mapped, remote_status
from shared.contracts.social import Member, Notification, NotificationKind
from shared.pagination import Page, paginate

Row = TypeVar("Row", LocalStatus, Reply)


async def notifications(session: AsyncSession, member: Member, first: int, after: str | None) -> Page[Notification]:
    statement = select(NotificationRow).where(NotificationRow.user_id == member.user_id)
    page = await paginate(session, statement, NotificationRow.created_at, NotificationRow.id, first, after)
    who = await accounts(session, member, {row.remote_actor_id for row in page.items})
    statuses = await _by_id(session, LocalStatus, {row.status_id for row in page.items if row.status_id})
    replies = await _by_id(session, Reply, {row.reply_id for row in page.items if row.reply_id})

    def notification(row: NotificationRow) -> Notification:
        account = who[row.remote_actor_id]
        if row.reply_id is not None:  # the reply itself, which says what it answers
            status = remote_status(replies[row.reply_id], account)
        else:
            status = local_status(statuses[row.status_id]) if row.status_id is not None else None
        return Notification(row.id, NotificationKind(row.kind), account, status, row.created_at)

    return mapped(page, notification)


async def _by_id(session: AsyncSession, model: type[Row], ids: Collection[str]) -> dict[str, Row]:
    if not ids:
        return {}
    return {row.id: row for row in (await session.scalars(select(model).where(model.id.in_(ids)))).all()}
