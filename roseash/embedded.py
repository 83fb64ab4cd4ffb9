"""The embedded default: the whole platform as one ASGI app in one process."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from roseash.services import SERVICES, subgraphs
from shared.app import create_http_app
from shared.resources import Resources


def create_platform_app(resources: Resources) -> Starlette:
    """Each subgraph under /subgraphs/<name>, the web site at the root, /health and /ready for all.

    The router takes /graphql and the ActivityPub sidecar its well-known paths
    when they are built (issues 3 and 7); until then they serve health only,
    under /router and /activitypub.
    """
    routes: list[BaseRoute] = [
        Mount(f"/subgraphs/{service.name}", app=service.create_app(resources)) for service in subgraphs()
    ]
    routes.append(Mount("/router", app=SERVICES["router"].create_app(resources)))
    routes.append(Mount("/activitypub", app=SERVICES["activitypub"].create_app(resources)))
    routes.append(Mount("/", app=SERVICES["web"].create_app(resources)))
    return create_http_app("platform", resources, routes)
