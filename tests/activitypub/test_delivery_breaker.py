"""The circuit breaker per host: it opens after failures in a row, holds deliveries, probes, and closes again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import orjson
import pytest
from sqlalchemy import update

from activitypub.host_health import THRESHOLD
from activitypub.models import DeliveryHost
from shared.db import utcnow
from shared.queue import QueueStatus
from tests.activitypub.conftest import AP, Platform, open_platform
from tests.activitypub.delivery_kit import (
    SHARED_INBOX,
    deliveries,
    follow,
    make_due,
    publish,
    run_until_idle,
    worker,
)
from tests.activitypub.remote_instance import RemoteInstance
from tests.conftest import Backend

POSTS = THRESHOLD + 2


@pytest.fixture
async def platform(backend: Backend) -> AsyncIterator[Platform]:
    # One delivery at a time to a host, so the count of what reaches it is exact.
    async with open_platform(backend, ACTIVITYPUB_DELIVERY_HOST_CONCURRENCY="1") as opened:
        yield opened


async def host(platform: Platform) -> DeliveryHost:
    [row] = await platform.rows(DeliveryHost)
    return row


async def end_cool_off(platform: Platform) -> None:
    async with platform.resources.sessions() as session, session.begin():
        await session.execute(update(DeliveryHost).values(open_until=utcnow() - timedelta(seconds=1)))
    await make_due(platform)


async def test_the_breaker_opens_after_failures_in_a_row_and_closes_on_a_success(
    platform: Platform, remote: RemoteInstance
) -> None:
    await follow(platform, remote)
    processor = worker(platform)
    await run_until_idle(processor)
    for n in range(POSTS):
        await publish(platform, f"Post {n}")
    remote.inbox_answers = [503] * 100
    started = utcnow()
    await run_until_idle(processor)

    # THRESHOLD tries failed; the others were held back, without a request.
    assert len(remote.deliveries()) == THRESHOLD
    breaker = await host(platform)
    assert breaker.consecutive_failures == THRESHOLD
    assert breaker.open_until is not None
    assert started + timedelta(minutes=1) <= breaker.open_until <= utcnow() + timedelta(minutes=1)
    creates = (await deliveries(platform))[1:]
    held = [row for row in creates if row.last_status is None]
    assert len(held) == POSTS - THRESHOLD
    assert all("circuit is open" in (row.last_error or "") for row in held)
    assert all(row.available_at >= breaker.open_until for row in held)

    # While it is open, nothing is sent, even when deliveries fall due.
    await make_due(platform)
    await run_until_idle(processor)
    assert len(remote.deliveries()) == THRESHOLD

    # After the cool-off one probe goes; it fails, and the breaker opens again for twice as long.
    await end_cool_off(platform)
    reopened = utcnow()
    await run_until_idle(processor)
    assert len(remote.deliveries()) == THRESHOLD + 1
    breaker = await host(platform)
    assert breaker.consecutive_failures == THRESHOLD + 1
    assert breaker.open_until is not None
    assert reopened + timedelta(minutes=2) <= breaker.open_until <= utcnow() + timedelta(minutes=2)

    # The next probe succeeds: the breaker closes and everything waiting goes out.
    remote.inbox_answers = []
    await end_cool_off(platform)
    await run_until_idle(processor)
    assert {row.status for row in await deliveries(platform)} == {QueueStatus.DONE}
    assert len({delivery.body for delivery in remote.deliveries()}) == POSTS
    breaker = await host(platform)
    assert (breaker.consecutive_failures, breaker.open_until, breaker.failing_since) == (0, None, None)


async def test_permanent_refusals_do_not_trip_the_breaker(platform: Platform, remote: RemoteInstance) -> None:
    await follow(platform, remote)
    processor = worker(platform)
    await run_until_idle(processor)
    for n in range(POSTS):
        await publish(platform, f"Post {n}")
    remote.inbox_answers = [404] * POSTS
    await run_until_idle(processor)
    assert len(remote.deliveries()) == POSTS
    assert await platform.rows(DeliveryHost) == []


async def test_a_signed_activity_from_the_host_closes_its_breaker(platform: Platform, remote: RemoteInstance) -> None:
    await follow(platform, remote)
    processor = worker(platform)
    await run_until_idle(processor)
    for n in range(POSTS):
        await publish(platform, f"Post {n}")
    remote.inbox_answers = [503] * THRESHOLD
    await run_until_idle(processor)
    assert (await host(platform)).open_until is not None

    # A request that does not verify proves nothing of the host.
    like = remote.activity("Like", f"{AP}/users/blog")
    unsigned = await platform.client.post(SHARED_INBOX, content=orjson.dumps(like))
    assert unsigned.status_code == 401
    assert (await host(platform)).consecutive_failures == THRESHOLD

    # A signed one, of a type we do not even handle, shows it is up: the breaker closes before the cool-off ends.
    assert (await platform.deliver(remote, SHARED_INBOX, like)).status_code == 202
    breaker = await host(platform)
    assert (breaker.consecutive_failures, breaker.open_until, breaker.failing_since) == (0, None, None)
    await make_due(platform)
    await run_until_idle(processor)
    assert {row.status for row in await deliveries(platform)} == {QueueStatus.DONE}
