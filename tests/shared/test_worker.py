import asyncio
import logging

import pytest

from shared.resources import Resources
from shared.worker import run_round, run_worker


async def test_round_runs_every_processor_even_when_one_fails(
    resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    async def failing(res: Resources) -> int:
        raise RuntimeError("peer exploded")

    async def working(res: Resources) -> int:
        seen.append("ran")
        return 3

    with caplog.at_level(logging.ERROR, logger="roseash.worker"):
        assert await run_round(resources, [failing, working]) == 3
    assert seen == ["ran"]
    assert "failing" in caplog.text


async def test_worker_keeps_going_while_there_is_work_and_stops_when_told(resources: Resources) -> None:
    stop = asyncio.Event()
    batches = [5, 2, 0]
    calls = 0

    async def processor(res: Resources) -> int:
        nonlocal calls
        calls += 1
        if calls == 3:
            stop.set()
        return batches.pop(0) if batches else 0

    await asyncio.wait_for(run_worker(resources, [processor], stop), timeout=5)
    assert calls == 3


async def test_idle_worker_stops_promptly(resources: Resources) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(resources, [], stop))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=2)
