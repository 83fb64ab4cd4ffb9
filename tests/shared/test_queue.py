"""The generic work queue, over a table of the test's own (the outbox's tests cover it for ap_activities)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Integer, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared import queue
from shared.db import utcnow
from shared.queue import Queued, QueueStatus
from shared.resources import Resources


class TestBase(DeclarativeBase):
    """Not the platform's Base: this table must not appear in its migrations."""

    __test__ = False


class Job(Queued, TestBase):
    __tablename__ = "test_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(64))


@pytest.fixture
async def jobs(resources: Resources) -> Resources:
    async with resources.engine.begin() as connection:
        await connection.run_sync(TestBase.metadata.create_all)
    async with resources.sessions() as session, session.begin():
        session.add_all(Job(name=name, note="secret") for name in ("a", "b", "c"))
    return resources


async def rows(resources: Resources) -> dict[str, Job]:
    async with resources.sessions() as session:
        return {job.name: job for job in (await session.scalars(select(Job))).all()}


def test_backoff_doubles_up_to_the_cap() -> None:
    waits = [queue.backoff(n, base=timedelta(minutes=1), cap=timedelta(minutes=10)) for n in range(1, 7)]
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 10, 10)]
    # A row tried for days has a count of tries that 2 ** n would overflow a timedelta with.
    assert queue.backoff(10_000, base=timedelta(minutes=1), cap=timedelta(hours=1)) == timedelta(hours=1)


async def test_any_table_with_the_columns_is_a_queue(jobs: Resources) -> None:
    sessions = jobs.sessions
    claimed = await queue.claim(sessions, Job, "w1", limit=2)
    assert [job.name for job in claimed] == ["a", "b"]
    assert all(job.status == QueueStatus.CLAIMED and job.attempts == 1 for job in claimed)
    a, b = claimed
    # Finishing sets the caller's own columns too, in the same statement.
    assert await queue.complete(sessions, Job, a.id, "w1", note=None)
    assert await queue.retry(sessions, Job, b.id, "w1", "busy", at=utcnow() + timedelta(hours=1))
    [c] = await queue.claim(sessions, Job, "w1")
    assert await queue.retry(sessions, Job, c.id, "w1", "refused", at=None, note=None)
    stored = await rows(jobs)
    assert (stored["a"].status, stored["a"].note, stored["a"].finished_at is not None) == ("done", None, True)
    assert (stored["b"].status, stored["b"].last_error, stored["b"].note) == ("pending", "busy", "secret")
    assert (stored["c"].status, stored["c"].last_error, stored["c"].note) == ("dead", "refused", None)


async def test_only_the_holder_finishes_a_row_and_only_once(jobs: Resources) -> None:
    sessions = jobs.sessions
    [job] = await queue.claim(sessions, Job, "w1", limit=1)
    assert not await queue.complete(sessions, Job, job.id, "w2")
    assert await queue.complete(sessions, Job, job.id, "w1")
    assert not await queue.retry(sessions, Job, job.id, "w1", "late", at=None)
    assert (await rows(jobs))[job.name].status == QueueStatus.DONE


async def test_rows_complete_together_in_one_call(jobs: Resources) -> None:
    sessions = jobs.sessions
    a, b, c = await queue.claim(sessions, Job, "w1")
    assert await queue.complete(sessions, Job, c.id, "w1")
    # Only the rows the worker still holds: c is done already, and w2 holds none.
    assert await queue.complete_many(sessions, Job, [a.id, b.id], "w2") == 0
    assert await queue.complete_many(sessions, Job, [a.id, b.id, c.id], "w1", note="sent") == 2
    assert await queue.complete_many(sessions, Job, [], "w1") == 0
    stored = await rows(jobs)
    for name in ("a", "b"):
        job = stored[name]
        assert (job.status, job.note, job.last_error, job.finished_at is not None) == ("done", "sent", None, True)
    assert stored["c"].note == "secret"


async def test_rows_released_untried_lose_no_attempt(jobs: Resources) -> None:
    sessions = jobs.sessions
    a, b, c = await queue.claim(sessions, Job, "w1")
    later = utcnow() + timedelta(hours=1)
    assert await queue.release(sessions, Job, [b.id, c.id], "w1", at=later, note="waiting") == 2
    assert await queue.release(sessions, Job, [a.id], "w2", at=later) == 0  # only the holder gives a row back
    assert await queue.release(sessions, Job, [], "w1", at=later) == 0
    stored = await rows(jobs)
    assert (stored["a"].status, stored["a"].attempts) == ("claimed", 1)
    for name in ("b", "c"):
        job = stored[name]
        assert (job.status, job.attempts, job.note) == ("pending", 0, "waiting")
        assert (job.claimed_by, job.claimed_at) == (None, None)
        assert job.available_at == later
    assert await queue.claim(sessions, Job, "w2") == []  # not due until `at`
