"""A work queue over any table: workers claim due rows, then complete, retry or release each one.

A table joins by mixing in `Queued` beside its own columns (and an `id`
primary key). `claim` locks with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so
concurrent workers never take the same row; SQLite has one writer at a time,
where the same statement is atomic without the lock clause (the dialect leaves
it out). A claim older than its lease belongs to a worker that died and is
taken again, so a row is processed at least once: what a processor does must
be safe to repeat, or checked before it is repeated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Integer, String, Text, and_, inspect, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UTCDateTime, utcnow


class QueueStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"
    DEAD = "dead"  # given up on: failed for good, or out of attempts


class Queued:
    """The columns a queued row needs. Index (status, available_at) in the table that mixes this in."""

    status: Mapped[str] = mapped_column(String(16), default=QueueStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


Q = TypeVar("Q", bound=Queued)


def backoff(attempts: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """How long to wait after the `attempts`-th failed try: doubling from `base`, never more than `cap`."""
    # No doubling past the cap: 2 ** attempts would soon overflow a timedelta, and a row may be tried for days.
    doublings = min(max(0, attempts - 1), max(0, math.ceil(math.log2(cap / base))))
    return min(cap, base * 2**doublings)


def _primary_key(model: type[Queued]) -> Any:
    return inspect(model).primary_key[0]


async def claim(
    sessions: async_sessionmaker[AsyncSession],
    model: type[Q],
    worker: str,
    *,
    limit: int = 20,
    lease: timedelta = timedelta(minutes=5),
) -> list[Q]:
    """Take up to `limit` due rows of `model` for `worker`, committing the claim at once.

    Each claim counts as an attempt (`release` takes it back for a row not
    tried). A claim older than `lease` is taken to belong to a dead worker
    and is claimable again.
    """
    now = utcnow()
    key = _primary_key(model)
    due = or_(
        and_(model.status == QueueStatus.PENDING, model.available_at <= now),
        and_(model.status == QueueStatus.CLAIMED, model.claimed_at < now - lease),
    )
    candidates = (
        select(key)
        .where(due)
        .order_by(model.available_at, key)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(model)
        .where(key.in_(candidates))
        .values(status=QueueStatus.CLAIMED, claimed_by=worker, claimed_at=now, attempts=model.attempts + 1)
        .returning(model)
        .execution_options(synchronize_session=False)
    )
    async with sessions() as session, session.begin():
        rows = list((await session.scalars(statement)).all())
    return sorted(rows, key=lambda row: (row.available_at, getattr(row, key.key)))


async def complete(
    sessions: async_sessionmaker[AsyncSession], model: type[Queued], row_id: Any, worker: str, **values: Any
) -> bool:
    """Mark the row done, with any further `values` of the caller's; False if `worker` no longer holds it."""
    return await complete_many(sessions, model, [row_id], worker, **values) > 0


async def complete_many(
    sessions: async_sessionmaker[AsyncSession],
    model: type[Queued],
    row_ids: Sequence[Any],
    worker: str,
    **values: Any,
) -> int:
    """Mark rows done in one statement, with any further `values` of the caller's, the same for all.

    For a batch whose successes are written together rather than one commit
    each. Returns how many rows `worker` still held and completed.
    """
    if not row_ids:
        return 0
    done = {"status": QueueStatus.DONE, "finished_at": utcnow(), "last_error": None, **values}
    return await _finish(sessions, model, row_ids, worker, done)


async def retry(
    sessions: async_sessionmaker[AsyncSession],
    model: type[Queued],
    row_id: Any,
    worker: str,
    error: str,
    *,
    at: datetime | None,
    **values: Any,
) -> bool:
    """Give the row back for another try at `at`, or mark it dead when `at` is None.

    False if `worker` no longer holds the row.
    """
    changes: dict[str, Any] = {"last_error": error[:2000], "claimed_by": None, "claimed_at": None, **values}
    if at is None:
        changes.update(status=QueueStatus.DEAD, finished_at=utcnow())
    else:
        changes.update(status=QueueStatus.PENDING, available_at=at)
    return await _finish(sessions, model, [row_id], worker, changes) > 0


async def release(
    sessions: async_sessionmaker[AsyncSession],
    model: type[Queued],
    row_ids: Sequence[Any],
    worker: str,
    *,
    at: datetime,
    **values: Any,
) -> int:
    """Give rows back untried, due again at `at`: their claim is not counted as an attempt.

    For rows a worker took but never got to (its batch stopped early), so
    that trouble on the worker's side uses up none of their attempts. Returns
    how many rows `worker` still held and gave back.
    """
    if not row_ids:
        return 0
    changes = {
        "status": QueueStatus.PENDING,
        "available_at": at,
        "claimed_by": None,
        "claimed_at": None,
        "attempts": model.attempts - 1,
        **values,
    }
    return await _finish(sessions, model, row_ids, worker, changes)


async def _finish(
    sessions: async_sessionmaker[AsyncSession],
    model: type[Queued],
    row_ids: Sequence[Any],
    worker: str,
    values: dict[str, Any],
) -> int:
    """Apply `values` to those of the rows `worker` still holds; how many it did."""
    key = _primary_key(model)
    statement = (
        update(model)
        .where(key.in_(row_ids), model.status == QueueStatus.CLAIMED, model.claimed_by == worker)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    async with sessions() as session, session.begin():
        result = cast("CursorResult[Any]", await session.execute(statement))
    return result.rowcount
