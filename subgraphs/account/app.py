"""The account subgraph as a Starlette app."""

from starlette.applications import Starlette
from starlette.routing import Mount

from shared.app import create_subgraph_app
from shared.resources import Resources
from subgraphs.account.routes import newsletter_routes
from subgraphs.account.schema import schema


def create_app(resources: Resources) -> Starlette:
    return create_subgraph_app(
        "account", schema, resources, [Mount("/newsletters", routes=newsletter_routes(resources))]
    )
