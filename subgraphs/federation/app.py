"""The federation subgraph as a Starlette app: GraphQL, and the OAuth 2 / OpenID Connect server's endpoints."""

from starlette.applications import Starlette

from shared.app import create_subgraph_app
from shared.resources import Resources
from subgraphs.federation.oauth_routes import oauth_routes
from subgraphs.federation.schema import schema


def create_app(resources: Resources) -> Starlette:
    return create_subgraph_app("federation", schema, resources, oauth_routes(resources))
