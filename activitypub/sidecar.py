"""What the sidecar's endpoints share: addresses, keys, our actors, the remote actor cache, the router."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from activitypub.graphql_client import RouterClient
from activitypub.instance_keys import InstanceKeys
from activitypub.local_actors import LocalActors
from activitypub.remote_actors import RemoteActors
from activitypub.urls import Urls
from shared.resources import Resources


@dataclass(frozen=True, slots=True)
class Sidecar:
    resources: Resources
    urls: Urls
    instance_keys: InstanceKeys
    local: LocalActors
    remote: RemoteActors
    router: RouterClient

    @classmethod
    def open(cls, resources: Resources, router_transport: httpx.AsyncBaseTransport | None = None) -> Sidecar:
        settings = resources.settings
        urls = Urls.from_settings(settings)
        instance_keys = InstanceKeys(resources.sessions)
        return cls(
            resources=resources,
            urls=urls,
            instance_keys=instance_keys,
            local=LocalActors(resources.sessions),
            remote=RemoteActors(settings, urls, resources.sessions, resources.cache, instance_keys),
            router=RouterClient(settings.activitypub_router_url, router_transport),
        )
