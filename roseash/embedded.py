"""The embedded default: the whole platform as one ASGI app in one process."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from roseash.services import SERVICES, subgraphs
from router.app import admin_route, graphql_route, router_state
from shared.app import create_http_app
from shared.resources import Resources


def create_platform_app(resources: Resources) -> Starlette:
    """The router at /graphql, each subgraph under /subgraphs/<name>, the web site at the root.

    The ActivityPub sidecar takes its well-known paths when it is built
    (issue 7); until then it serves health only, under /activitypub.
    """
    apps = {service.name: service.create_app(resources) for service in subgraphs()}
    # The router calls the subgraphs in this process, through their apps.
    router = router_state(resources, apps)
    routes: list[BaseRoute] = [graphql_route(router, resources.cache), admin_route(router)]
    routes += [Mount(f"/subgraphs/{name}", app=app) for name, app in apps.items()]
    routes.append(Mount("/activitypub", app=SERVICES["activitypub"].create_app(resources)))
    routes.append(Mount("/", app=SERVICES["web"].create_app(resources)))
    return create_http_app("platform", resources, routes)
