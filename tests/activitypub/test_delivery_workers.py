"""Several workers at once: each delivery is claimed by one of them and sent once (SKIP LOCKED on PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from activitypub import delivery
from activitypub.delivery_worker import ActivityPubWorker
from activitypub.graphql_client import RouterClient
from shared.queue import QueueStatus
from shared.resources import Resources
from tests.activitypub.conftest import PUBLIC_URL, Platform
from tests.activitypub.delivery_kit import activity, deliveries, follow, publish, worker
from tests.activitypub.remote_instance import RemoteInstance

POSTS = 12


async def drain(processor: ActivityPubWorker) -> None:
    while await processor.deliver():
        pass


async def test_two_workers_never_send_the_same_delivery_twice(
    platform: Platform, remote: RemoteInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    others = [RemoteInstance(), RemoteInstance()]
    async with others[0].running(), others[1].running():
        servers = [remote, *others]
        for server in servers:
            await follow(platform, server)
        for n in range(POSTS):
            await publish(platform, f"Post {n}")
        # Small batches of slow answers, so that the two workers' claims interleave.
        monkeypatch.setattr(delivery, "BATCH", 3)
        for server in servers:
            server.inbox_delay = 0.02
        # The second worker has its own engine and connections, as another process would.
        second = Resources.open(platform.resources.settings)
        try:
            router = RouterClient(f"{PUBLIC_URL}/graphql", platform.client._transport)
            first_worker, second_worker = worker(platform), ActivityPubWorker(second, router)
            while await first_worker.fan_out():
                pass
            await asyncio.gather(drain(first_worker), drain(second_worker))
        finally:
            await second.close()
        rows = await deliveries(platform)
        assert {row.status for row in rows} == {QueueStatus.DONE}
        assert len(rows) == len(servers) * (POSTS + 1)  # the Accepts, and a Create per post and server
        # Both took part, and every server received every activity exactly once.
        assert {row.claimed_by for row in rows} == {first_worker.name, second_worker.name}
        for server in servers:
            sent = Counter(activity(delivery)["id"] for delivery in server.received if delivery.method == "POST")
            assert len(sent) == POSTS + 1
            assert set(sent.values()) == {1}
