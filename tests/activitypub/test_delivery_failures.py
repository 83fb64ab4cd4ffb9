"""A peer that fails: retried on Mastodon's growing schedule, given up on at once for good answers, dropped on 410."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from activitypub.delivery_policy import MAX_ATTEMPTS
from activitypub.models import ActivityDelivery, Follower
from shared.db import utcnow
from shared.queue import QueueStatus
from tests.activitypub.conftest import Platform
from tests.activitypub.delivery_kit import activity, deliveries, follow, make_due, publish, run_until_idle, worker
from tests.activitypub.remote_instance import RemoteInstance


async def followed(platform: Platform, remote: RemoteInstance, *names: str) -> None:
    """`names` on `remote` follow the blog, and their Accepts are delivered."""
    for name in names or ("alice",):
        await follow(platform, remote, name)
    await run_until_idle(worker(platform))


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
async def test_a_passing_failure_is_retried_later_on_a_growing_schedule(
    platform: Platform, remote: RemoteInstance, status: int
) -> None:
    await followed(platform, remote)
    processor = worker(platform)
    remote.inbox_answers = [status] * 4
    await publish(platform)
    waits = []
    for attempt in range(1, 5):
        before = utcnow()
        await run_until_idle(processor)
        create = (await deliveries(platform))[-1]
        assert (create.status, create.attempts, create.last_status) == (QueueStatus.PENDING, attempt, status)
        assert f"HTTP {status}" in (create.last_error or "")
        waits.append(create.available_at - before)
        await make_due(platform)
    # Mastodon's sidekiq_retry_in: retry n comes n**4 + 15 seconds later, plus up to half of n**4.
    for n, wait in enumerate(waits):
        assert timedelta(seconds=n**4 + 15) <= wait <= timedelta(seconds=1.5 * n**4 + 15 + 5)
    assert waits == sorted(waits)
    await run_until_idle(processor)
    assert len(remote.deliveries()) == 5
    assert (await deliveries(platform))[-1].status == QueueStatus.DONE


async def test_a_delivery_is_given_up_on_after_its_last_try(platform: Platform, remote: RemoteInstance) -> None:
    await followed(platform, remote)
    remote.inbox_answers = [500]
    await publish(platform)
    await run_until_idle(worker(platform))  # its first try (fan-out and all)
    async with platform.resources.sessions() as session, session.begin():
        await session.execute(update(ActivityDelivery).values(attempts=MAX_ATTEMPTS - 1))
    remote.inbox_answers = [500]
    await make_due(platform)
    await run_until_idle(worker(platform))
    create = (await deliveries(platform))[-1]
    assert (create.status, create.attempts, create.last_status) == (QueueStatus.DEAD, MAX_ATTEMPTS, 500)
    assert f"(after {MAX_ATTEMPTS} tries)" in (create.last_error or "")


@pytest.mark.parametrize(("answers", "posts"), [([403], 1), ([404], 1), ([422], 1), ([501], 1), ([400, 400], 2)])
async def test_a_permanent_refusal_is_not_retried(
    platform: Platform, remote: RemoteInstance, answers: list[int], posts: int
) -> None:
    await followed(platform, remote)
    remote.inbox_answers = list(answers)
    await publish(platform)
    await run_until_idle(worker(platform))
    create = (await deliveries(platform))[-1]
    assert (create.status, create.last_status) == (QueueStatus.DEAD, answers[-1])
    # A 400 may be the signature: the other scheme is tried at once, within the same try; then it is final.
    assert len(remote.deliveries()) == posts
    assert create.attempts == 1
    await make_due(platform)
    await run_until_idle(worker(platform))
    assert len(remote.deliveries()) == posts


async def test_a_signature_refused_in_both_schemes_is_retried(platform: Platform, remote: RemoteInstance) -> None:
    """As Mastodon does with 401: the peer may not yet have been able to fetch our key."""
    await followed(platform, remote)
    remote.inbox_answers = [401, 401]
    await publish(platform)
    await run_until_idle(worker(platform))
    create = (await deliveries(platform))[-1]
    assert (create.status, create.last_status) == (QueueStatus.PENDING, 401)
    assert ["signature-input" in delivery.headers for delivery in remote.deliveries()] == [False, True]


async def test_a_gone_inbox_loses_its_followers_and_what_was_queued_for_it(
    platform: Platform, remote: RemoteInstance
) -> None:
    other = RemoteInstance()
    async with other.running():
        await followed(platform, remote, "alice", "bob")
        await followed(platform, other, "carol")
        remote.inbox_answers = [410, 410]
        await publish(platform, "First")
        await publish(platform, "Second")
        await run_until_idle(worker(platform))
        creates = [row for row in await deliveries(platform) if row.host == remote.base_url.split("//")[1]][-2:]
        assert {(row.status, row.last_status) for row in creates} == {(QueueStatus.DEAD, 410)}
        assert "gone (HTTP 410)" in (creates[0].last_error or "")
        [kept] = await platform.rows(Follower)
        assert kept.follow_uri.startswith(other.actor("carol"))
        # The next post goes to the servers still following, only.
        await publish(platform, "Third")
        await run_until_idle(worker(platform))
        assert len(remote.deliveries()) <= 2
        sent = sorted(activity(delivery)["object"]["name"] for delivery in other.deliveries())
        assert sent == ["First", "Second", "Third"]
