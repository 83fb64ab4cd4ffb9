"""The blog subgraph as a Starlette app."""

from starlette.applications import Starlette

from shared.app import create_subgraph_app
from shared.resources import Resources
from subgraphs.blog.feeds import feed_routes
from subgraphs.blog.ghost_webhook import webhook_routes
from subgraphs.blog.schema import schema


def create_app(resources: Resources) -> Starlette:
    return create_subgraph_app("blog", schema, resources, [*feed_routes(resources), *webhook_routes(resources)])
