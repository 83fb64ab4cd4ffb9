"""The event processor loop: runs each registered processor until told to stop.

A processor is an async function that does one batch of work (claim outbox
rows and deliver them, send a newsletter batch...) and returns how many items
it handled. When a whole round handles nothing, the worker sleeps for the poll
interval; a failing processor is logged and does not stop the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from shared.resources import Resources

logger = logging.getLogger("roseash.worker")

Processor = Callable[[Resources], Awaitable[int]]


async def run_round(resources: Resources, processors: Sequence[Processor]) -> int:
    handled = 0
    for processor in processors:
        try:
            handled += await processor(resources)
        except Exception:
            logger.exception("processor %s failed", getattr(processor, "__qualname__", processor))
    return handled


async def run_worker(resources: Resources, processors: Sequence[Processor], stop: asyncio.Event) -> None:
    if not processors:
        logger.info("worker started with no processors registered; idling")
    else:
        logger.info("worker started", extra={"processors": len(processors)})
    while not stop.is_set():
        if await run_round(resources, processors) == 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), resources.settings.worker_poll_seconds)
    logger.info("worker stopped")
