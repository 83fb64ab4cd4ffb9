"""The worker's ActivityPub processor: fan out what the domains published, then send a batch of deliveries.

Objects are rendered from the router (ACTIVITYPUB_ROUTER_URL), as the
sidecar renders everything; keys come from the database. Several workers
may run at once on PostgreSQL: fan-out and deliveries are claimed row by row
(`shared.queue`), so none is done twice.
"""

from __future__ import annotations

import os
import socket
import uuid

from activitypub.actor_signers import ActorSigners
from activitypub.delivery import Deliverer
from activitypub.fan_out import fan_out
from activitypub.graphql_client import RouterClient
from activitypub.instance_keys import InstanceKeys
from activitypub.local_actors import LocalActors
from activitypub.urls import Urls
from shared.resources import Resources


class ActivityPubWorker:
    def __init__(self, resources: Resources, router: RouterClient) -> None:
        self._sessions = resources.sessions
        self._urls = Urls.from_settings(resources.settings)
        self._router = router
        signers = ActorSigners(
            resources.sessions, self._urls, InstanceKeys(resources.sessions), LocalActors(resources.sessions)
        )
        self._deliverer = Deliverer(resources.sessions, resources.settings, signers)
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    async def fan_out(self) -> int:
        return await fan_out(self._sessions, self._urls, self._router, self.name)

    async def deliver(self) -> int:
        return await self._deliverer.deliver(self.name)

    async def run(self) -> int:
        """One round: how many outbox rows and deliveries it took on."""
        return await self.fan_out() + await self.deliver()


async def process_activitypub(resources: Resources) -> int:
    router = RouterClient(resources.settings.activitypub_router_url, resources.router_transport)
    return await ActivityPubWorker(resources, router).run()
