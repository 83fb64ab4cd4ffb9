"""The outbox: domain changes the Fediverse should see, written in the changer's transaction.

A domain calls `record_activity` inside the same transaction as its change, so
the row exists exactly when the change does. Workers `claim` rows, process
them, and `complete` or `retry` each one. Claims lock with
`FOR UPDATE SKIP LOCKED` on PostgreSQL so concurrent workers never take the
same row; SQLite has one writer at a time, where the same statement is atomic
without the lock clause (the dialect leaves it out).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, UTCDateTime, utcnow


class ActivityStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"
    DEAD = "dead"


class ApActivity(Base):
    __tablename__ = "ap_activities"

    # BigInteger on PostgreSQL; SQLite only autoincrements a plain INTEGER key.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))  # the domain actor: blog, market, events...
    verb: Mapped[str] = mapped_column(String(32))  # Create, Update, Delete...
    object_type: Mapped[str] = mapped_column(String(64))  # Article, Event...
    object_id: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=ActivityStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_ap_activities_status_available_at", "status", "available_at"),)


async def record_activity(
    session: AsyncSession,
    *,
    actor: str,
    verb: str,
    object_type: str,
    object_id: str,
    payload: dict[str, Any] | None = None,
) -> ApActivity:
    """Add an outbox row to the caller's open transaction; it commits or rolls back with it."""
    if not session.in_transaction():
        raise RuntimeError("record_activity must run inside the transaction that makes the change")
    row = ApActivity(
        actor=actor,
        verb=verb,
        object_type=object_type,
        object_id=object_id,
        payload=payload or {},
        status=ActivityStatus.PENDING,
        attempts=0,
        available_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def claim(
    sessions: async_sessionmaker[AsyncSession],
    worker: str,
    *,
    limit: int = 20,
    lease: timedelta = timedelta(minutes=5),
) -> list[ApActivity]:
    """Take up to `limit` due rows for `worker`, committing the claim at once.

    A claim older than `lease` is taken to belong to a dead worker and is
    claimable again.
    """
    now = utcnow()
    due = or_(
        and_(ApActivity.status == ActivityStatus.PENDING, ApActivity.available_at <= now),
        and_(ApActivity.status == ActivityStatus.CLAIMED, ApActivity.claimed_at < now - lease),
    )
    candidates = (
        select(ApActivity.id)
        .where(due)
        .order_by(ApActivity.available_at, ApActivity.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(ApActivity)
        .where(ApActivity.id.in_(candidates))
        .values(
            status=ActivityStatus.CLAIMED,
            claimed_by=worker,
            claimed_at=now,
            attempts=ApActivity.attempts + 1,
        )
        .returning(ApActivity)
        .execution_options(synchronize_session=False)
    )
    async with sessions() as session, session.begin():
        rows = list((await session.scalars(statement)).all())
    return sorted(rows, key=lambda row: (row.available_at, row.id))


async def complete(sessions: async_sessionmaker[AsyncSession], activity_id: int, worker: str) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            update(ApActivity)
            .where(ApActivity.id == activity_id, ApActivity.claimed_by == worker)
            .values(status=ActivityStatus.DONE, finished_at=utcnow(), last_error=None)
        )


async def retry(
    sessions: async_sessionmaker[AsyncSession],
    activity_id: int,
    worker: str,
    error: str,
    *,
    at: datetime | None,
) -> None:
    """Give the row back for another try at `at`, or mark it dead when `at` is None."""
    values: dict[str, Any] = {"last_error": error[:2000], "claimed_by": None, "claimed_at": None}
    if at is None:
        values.update(status=ActivityStatus.DEAD, finished_at=utcnow())
    else:
        values.update(status=ActivityStatus.PENDING, available_at=at)
    async with sessions() as session, session.begin():
        await session.execute(
            update(ApActivity).where(ApActivity.id == activity_id, ApActivity.claimed_by == worker).values(**values)
        )
