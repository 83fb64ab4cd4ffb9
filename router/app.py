"""The router as a Starlette app: health and readiness until query planning lands (issue 3)."""

from starlette.applications import Starlette

from shared.app import create_http_app
from shared.resources import Resources


def create_app(resources: Resources) -> Starlette:
    return create_http_app("router", resources)
