"""The federation subgraph as a Starlette app: GraphQL, and the OAuth 2 / OpenID Connect server's endpoints."""

from starlette.applications import Starlette

from shared.app import create_subgraph_app
from shared.resources import Resources
from subgraphs.federation import backchannel_logout
from subgraphs.federation.oauth_routes import oauth_routes
from subgraphs.federation.oauth_server import Authority
from subgraphs.federation.schema import schema


def create_app(resources: Resources) -> Starlette:
    app = create_subgraph_app("federation", schema, resources, oauth_routes(resources))
    # Login sessions that end in this app's requests (logout, a password change) are announced to the web apps.
    channel = backchannel_logout.BackchannelLogout(Authority.from_settings(resources.settings))
    backchannel_logout.install(app, channel)
    return app
