import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.outbox import ApActivity, record_activity
from shared.resources import Resources
from shared.seeds import Seed, SeedRun, run_seeds


async def demo_posts(session: AsyncSession) -> None:
    await record_activity(session, actor="blog", verb="Create", object_type="Article", object_id="hello")


async def broken(session: AsyncSession) -> None:
    await record_activity(session, actor="blog", verb="Create", object_type="Article", object_id="half")
    raise RuntimeError("seed data is wrong")


async def count(resources: Resources) -> int:
    async with resources.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ApActivity)) or 0)


async def test_each_seed_runs_once(resources: Resources) -> None:
    seeds = [Seed("demo-posts", demo_posts)]
    assert await run_seeds(resources.sessions, seeds) == ["demo-posts"]
    assert await run_seeds(resources.sessions, seeds) == []
    assert await count(resources) == 1


async def test_a_failed_seed_leaves_nothing_and_runs_again_next_time(resources: Resources) -> None:
    with pytest.raises(RuntimeError, match="seed data is wrong"):
        await run_seeds(resources.sessions, [Seed("broken", broken)])
    assert await count(resources) == 0
    async with resources.sessions() as session:
        assert await session.get(SeedRun, "broken") is None
