"""Deliveries as admins see them: what went where, how it went, and the dead letters given up on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.models import ActivityDelivery, OutboxItem
from shared.queue import QueueStatus


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: int
    status: str
    attempts: int
    inbox: str
    activity_type: str
    activity_uri: str
    last_status: int | None
    last_error: str | None
    created_at: datetime
    # When it is tried next (pending), or when it was done or given up on.
    available_at: datetime
    finished_at: datetime | None


async def list_deliveries(session: AsyncSession, *, dead_only: bool, limit: int) -> list[DeliveryView]:
    """The newest `limit` deliveries, or only the dead ones, newest first."""
    statement = (
        select(ActivityDelivery, OutboxItem.type, OutboxItem.uri)
        .join(OutboxItem, OutboxItem.id == ActivityDelivery.outbox_id)
        .order_by(ActivityDelivery.id.desc())
        .limit(limit)
    )
    if dead_only:
        statement = statement.where(ActivityDelivery.status == QueueStatus.DEAD)
    return [
        DeliveryView(
            id=row.id,
            status=row.status,
            attempts=row.attempts,
            inbox=row.inbox,
            activity_type=kind,
            activity_uri=uri,
            last_status=row.last_status,
            last_error=row.last_error,
            created_at=row.created_at,
            available_at=row.available_at,
            finished_at=row.finished_at,
        )
        for row, kind, uri in (await session.execute(statement)).all()
    ]
