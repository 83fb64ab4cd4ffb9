"""The ActivityPub sidecar as a Starlette app: discovery, actors, their collections and inboxes.

Its routes sit at the paths peers use under ACTIVITYPUB_URL (`/users/{name}`,
`/inbox`, `/nodeinfo/2.1`...), plus the well-known discovery paths, which
must be at the root of PUBLIC_URL: whatever is in front of the sidecar (the
embedded platform app, or a proxy in production) sends ACTIVITYPUB_URL's
prefix here with the prefix removed, and `/.well-known/webfinger`,
`/.well-known/host-meta` and `/.well-known/nodeinfo` unchanged.
"""

import httpx
from starlette.applications import Starlette

from activitypub import actors, collections, inbox, nodeinfo, objects, webfinger
from activitypub.sidecar import Sidecar
from shared.app import create_http_app
from shared.resources import Resources

WELL_KNOWN_PATHS = ("/.well-known/webfinger", "/.well-known/host-meta", "/.well-known/nodeinfo")


def create_app(resources: Resources, *, router_transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    """`router_transport` reaches the router without a socket (the embedded default); else it is HTTP."""
    sidecar = Sidecar.open(resources, router_transport)
    routes = [
        *webfinger.routes(sidecar),
        *nodeinfo.routes(sidecar),
        *actors.routes(sidecar),
        *collections.routes(sidecar),
        *objects.routes(sidecar),
        *inbox.routes(sidecar),
    ]
    return create_http_app("activitypub", resources, routes)
