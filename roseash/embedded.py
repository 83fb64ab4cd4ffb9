"""The embedded default: the whole platform as one ASGI app in one process."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from activitypub.app import WELL_KNOWN_PATHS
from activitypub.app import create_app as create_activitypub_app
from roseash.services import subgraphs
from router.app import admin_route, graphql_route, router_state
from shared.app import create_http_app
from shared.resources import Resources
from subgraphs.account.routes import newsletter_routes
from subgraphs.federation import backchannel_logout
from subgraphs.federation.discovery import PUBLIC_PATHS as OAUTH_PATHS
from web.app import create_app as create_web_app


def create_platform_app(resources: Resources) -> Starlette:
    """The router at /graphql, each subgraph under /subgraphs/<name>, the web site at the root.

    The ActivityPub sidecar is under /activitypub (the default ACTIVITYPUB_URL),
    with its discovery documents at the root, where peers look for them.
    """
    apps = {service.name: service.create_app(resources) for service in subgraphs()}
    # Bearer tokens are checked against the federation app's JWKS, fetched in this process.
    resources.tokens.keys.use_transport(httpx.ASGITransport(app=apps["federation"]))
    # The router calls the subgraphs in this process, through their apps.
    router = router_state(resources, apps)
    graphql = graphql_route(router, resources.cache, resources.tokens)
    resources.router_transport = httpx.ASGITransport(app=graphql)
    routes: list[BaseRoute] = [graphql, admin_route(router)]
    routes += [Mount(f"/subgraphs/{name}", app=app) for name, app in apps.items()]
    routes.append(Mount("/newsletters", routes=newsletter_routes(resources)))  # where mailed links point
    # The OAuth server's endpoints and discovery documents live at the issuer, PUBLIC_URL.
    routes += [Route(path, apps["federation"], methods=["GET", "HEAD", "POST"]) for path in OAUTH_PATHS]
    # Feeds at the addresses they advertise; the blog app answers them with the path unchanged.
    routes.append(Route("/feeds/{feed}", apps["blog"], methods=["GET", "HEAD"]))
    # The sidecar reads members and posts through the router, in this process too.
    activitypub = create_activitypub_app(resources, router_transport=resources.router_transport)
    routes += [Route(path, activitypub, methods=["GET", "HEAD"]) for path in WELL_KNOWN_PATHS]
    routes.append(Mount("/activitypub", app=activitypub))
    # The site signs in at the issuer and reads through the router, in this process; the issuer's
    # back-channel logouts reach the site the same way.
    web = create_web_app(
        resources,
        issuer_transport=httpx.ASGITransport(app=apps["federation"]),
        router_transport=resources.router_transport,
    )
    backchannel_logout.of(apps["federation"]).use_transport(httpx.ASGITransport(app=web))
    routes.append(Mount("/", app=web))
    return create_http_app("platform", resources, routes)
