"""The ActivityPub sidecar as a Starlette app: health and readiness until its endpoints land (issue 7)."""

from starlette.applications import Starlette

from shared.app import create_http_app
from shared.resources import Resources


def create_app(resources: Resources) -> Starlette:
    return create_http_app("activitypub", resources)
