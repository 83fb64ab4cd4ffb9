"""The events subgraph as a Starlette app."""

from starlette.applications import Starlette

from shared.app import create_subgraph_app
from shared.resources import Resources
from subgraphs.events.schema import schema


def create_app(resources: Resources) -> Starlette:
    return create_subgraph_app("events", schema, resources)
