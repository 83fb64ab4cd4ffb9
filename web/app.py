"""The server-rendered site as a Starlette app: its pages, signing in and out, health and readiness.

The site is an OAuth client of the issuer with a session of its own, and
reads everything it shows from the router. In production both are reached
over HTTP; the embedded default passes transports onto the apps in the same
process.
"""

import httpx
from starlette.applications import Starlette

from shared.app import create_http_app
from shared.resources import Resources
from web import auth_routes, pages
from web.site import Site


def create_app(
    resources: Resources,
    *,
    issuer_transport: httpx.AsyncBaseTransport | None = None,
    router_transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    site = Site.open(resources, issuer_transport, router_transport)
    return create_http_app("web", resources, [*pages.routes(site), *auth_routes.routes(site)])
