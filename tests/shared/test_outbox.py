import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shared.db import utcnow
from shared.outbox import ActivityStatus, ApActivity, claim, complete, record_activity, retry
from shared.resources import Resources


async def add(resources: Resources, count: int) -> None:
    async with resources.sessions() as session, session.begin():
        for number in range(count):
            await record_activity(
                session, actor="blog", verb="Create", object_type="Article", object_id=f"post-{number}"
            )


async def statuses(resources: Resources) -> dict[str, int]:
    async with resources.sessions() as session:
        rows = await session.execute(select(ApActivity.status, func.count()).group_by(ApActivity.status))
        return {status: number for status, number in rows.all()}


async def test_row_is_written_in_the_callers_transaction(resources: Resources) -> None:
    async with resources.sessions() as session:
        async with session.begin():
            row = await record_activity(
                session, actor="blog", verb="Create", object_type="Article", object_id="p1", payload={"a": 1}
            )
            assert row.id is not None
        stored = await session.get(ApActivity, row.id)
        assert stored is not None
        assert stored.payload == {"a": 1}
        assert stored.status == ActivityStatus.PENDING
        assert stored.created_at.tzinfo is not None


async def test_rolled_back_change_leaves_no_row(resources: Resources) -> None:
    async def change_that_fails() -> None:
        async with resources.sessions() as session, session.begin():
            await record_activity(session, actor="blog", verb="Create", object_type="Article", object_id="p1")
            raise RuntimeError("domain write failed")

    with pytest.raises(RuntimeError, match="domain write failed"):
        await change_that_fails()
    assert await statuses(resources) == {}


async def test_recording_outside_a_transaction_is_a_programming_error(resources: Resources) -> None:
    async with resources.sessions() as session:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            await record_activity(session, actor="blog", verb="Create", object_type="Article", object_id="p1")


async def test_claim_complete_and_retry(resources: Resources) -> None:
    await add(resources, 3)
    sessions = resources.sessions
    claimed = await claim(sessions, "w1", limit=2)
    assert [row.object_id for row in claimed] == ["post-0", "post-1"]
    assert all(row.attempts == 1 and row.claimed_by == "w1" for row in claimed)
    await complete(sessions, claimed[0].id, "w1")
    await retry(sessions, claimed[1].id, "w1", "peer said 503", at=utcnow() + timedelta(hours=1))
    # The retried row is not due yet; only the third is.
    [third] = await claim(sessions, "w1")
    assert third.object_id == "post-2"
    assert await claim(sessions, "w1") == []
    await retry(sessions, third.id, "w1", "gone for good", at=None)
    assert await statuses(resources) == {"done": 1, "pending": 1, "dead": 1}


async def test_a_worker_cannot_finish_a_row_it_does_not_hold(resources: Resources) -> None:
    await add(resources, 1)
    [row] = await claim(resources.sessions, "w1")
    await complete(resources.sessions, row.id, "w2")
    assert await statuses(resources) == {"claimed": 1}


async def test_an_expired_claim_is_taken_again(resources: Resources) -> None:
    await add(resources, 1)
    [row] = await claim(resources.sessions, "dead-worker")
    assert await claim(resources.sessions, "w2") == []
    [again] = await claim(resources.sessions, "w2", lease=timedelta(0))
    assert again.id == row.id
    assert again.attempts == 2
    assert again.claimed_by == "w2"


async def test_concurrent_workers_never_claim_the_same_row(resources: Resources) -> None:
    await add(resources, 60)

    async def drain(worker: str) -> list[int]:
        taken: list[int] = []
        while batch := await claim(resources.sessions, worker, limit=4):
            taken.extend(row.id for row in batch)
            await asyncio.sleep(0)
        return taken

    results = await asyncio.gather(*(drain(f"w{n}") for n in range(4)))
    every = [row_id for taken in results for row_id in taken]
    assert len(every) == 60
    assert len(set(every)) == 60
