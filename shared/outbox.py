"""The outbox: domain changes the Fediverse should see, written in the changer's transaction.

A domain calls `record_activity` inside the same transaction as its change, so
the row exists exactly when the change does. Workers `claim` rows, process
them, and `complete` or `retry` each one: the cycle of `shared.queue`, with its
concurrency and lease guarantees.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from shared import queue
from shared.db import Base, UTCDateTime, utcnow
from shared.queue import Queued, QueueStatus

# The outbox's statuses are the queue's; the name stays for callers that know it.
ActivityStatus = QueueStatus


class ApActivity(Queued, Base):
    __tablename__ = "ap_activities"

    # BigInteger on PostgreSQL; SQLite only autoincrements a plain INTEGER key.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))  # the domain actor: blog, market, events...
    verb: Mapped[str] = mapped_column(String(32))  # Create, Update, Delete...
    object_type: Mapped[str] = mapped_column(String(64))  # Article, Event...
    object_id: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

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
    """Take up to `limit` due rows for `worker`; see `shared.queue.claim`."""
    return await queue.claim(sessions, ApActivity, worker, limit=limit, lease=lease)


async def complete(sessions: async_sessionmaker[AsyncSession], activity_id: int, worker: str) -> None:
    await queue.complete(sessions, ApActivity, activity_id, worker)


async def retry(
    sessions: async_sessionmaker[AsyncSession],
    activity_id: int,
    worker: str,
    error: str,
    *,
    at: datetime | None,
) -> None:
    """Give the row back for another try at `at`, or mark it dead when `at` is None."""
    await queue.retry(sessions, ApActivity, activity_id, worker, error, at=at)
