"""The server-rendered site as a Starlette app: health and readiness until its pages land."""

from starlette.applications import Starlette

from shared.app import create_http_app
from shared.resources import Resources


def create_app(resources: Resources) -> Starlette:
    return create_http_app("web", resources)
