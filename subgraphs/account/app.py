"""The account subgraph as a Starlette app."""

from starlette.applications import Starlette

from shared.app import create_subgraph_app
from shared.resources import Resources
from subgraphs.account.schema import schema


def create_app(resources: Resources) -> Starlette:
    return create_subgraph_app("account", schema, resources)
