"""The router service: GraphQL over HTTP at /graphql in front of the supergraph's subgraphs."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.routing import Route

from router.gateway import Gateway
from router.http import GraphQLEndpoint
from router.supergraph import load_supergraph
from shared.app import create_http_app
from shared.resources import Resources

logger = logging.getLogger("roseash.router")


def graphql_route(gateway: Gateway | None) -> Route:
    return Route("/graphql", GraphQLEndpoint(lambda: gateway).handle, methods=["GET", "POST"])


def load_gateway(resources: Resources) -> Gateway | None:
    """The supergraph in SUPERGRAPH_PATH; without one, /graphql answers 503 and says why."""
    path = resources.settings.supergraph_path
    if not path.exists():
        logger.warning("no supergraph at %s: /graphql is unavailable until one is composed", path)
        return None
    settings = resources.settings
    gateway = Gateway(load_supergraph(path.read_text()))
    gateway.fetcher.default_timeout = settings.subgraph_timeout
    for name, seconds in settings.subgraph_timeouts.items():
        gateway.set_subgraph_timeout(name, seconds)
    return gateway


def create_app(resources: Resources) -> Starlette:
    return create_http_app("router", resources, [graphql_route(load_gateway(resources))])
