"""App factories: a Strawberry federation schema (or plain routes) in, a Starlette app out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import orjson
import strawberry.federation
from cross_web import HTTPException as StrawberryHTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.unset import UNSET

from shared.auth import TokenError, refusal_response
from shared.context import Context
from shared.db import check_database
from shared.graphql import ErrorPolicy
from shared.http import EXCEPTION_HANDLERS, RequestContextMiddleware, problem_response
from shared.logs import request_id_var
from shared.resources import Resources

logger = logging.getLogger("roseash.app")


class SubgraphGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context: one database session per request."""

    def __init__(self, schema: strawberry.federation.Schema, resources: Resources) -> None:
        super().__init__(
            schema,
            allow_queries_via_get=True,
            graphql_ide="graphiql" if resources.settings.environment != "production" else None,
        )
        self.resources = resources

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        async with self.resources.sessions() as session:
            scope.setdefault("state", {})["db"] = session
            await super().__call__(scope, receive, send)

    async def run(self, request: Request, context: Any = UNSET, root_value: Any = UNSET) -> Any:  # type: ignore[override]
        try:
            # Before anything runs: a refused token is refused whatever the operation.
            request.state.viewer = await self.resources.tokens.viewer(request.headers.get("authorization"))
        except TokenError as exc:
            return refusal_response(exc)
        try:
            return await super().run(request, context, root_value)
        except StrawberryHTTPException as exc:
            # Strawberry answers these in plain text; we answer problem+json,
            # and 405 for a mutation over GET, as GraphQL over HTTP requires.
            if isinstance(exc.__cause__, InvalidOperationTypeError) and request.method == "GET":
                response = problem_response(405, "Method Not Allowed", detail=exc.reason)
                response.headers["Allow"] = "POST"
                return response
            return problem_response(
                exc.status_code, "Bad Request" if exc.status_code == 400 else "Error", detail=exc.reason
            )

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        return Context(
            request=request,
            session=request.scope["state"]["db"],
            viewer=request.state.viewer,
            cache=self.resources.cache,
            request_id=request_id_var.get() or "",
            settings=self.resources.settings,
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def create_http_app(name: str, resources: Resources, routes: Sequence[BaseRoute] = ()) -> Starlette:
    """A plain service: its routes plus /health and /ready, request ids and problem+json errors."""

    async def health(request: Request) -> Response:
        return Response(orjson.dumps({"status": "ok", "service": name}), media_type="application/json")

    async def ready(request: Request) -> Response:
        checks: dict[str, str] = {}
        try:
            await check_database(resources.engine, seconds=3.0)
            checks["database"] = "ok"
        except Exception as exc:  # any failure means not ready; the log says which
            logger.warning("readiness: database check failed: %s", type(exc).__name__)
            checks["database"] = "unavailable"
        try:
            async with asyncio.timeout(3.0):
                await resources.cache.ping()
            checks["cache"] = "ok"
        except Exception as exc:
            logger.warning("readiness: cache check failed: %s", type(exc).__name__)
            checks["cache"] = "unavailable"
        failing = [k for k, v in checks.items() if v != "ok"]
        if failing:
            return problem_response(
                503,
                "Service Unavailable",
                detail=f"not ready: {', '.join(failing)} unavailable",
                checks=checks,
            )
        body = {"status": "ready", "service": name, "checks": checks}
        return Response(orjson.dumps(body), media_type="application/json")

    return Starlette(
        routes=[
            Route("/health", health, methods=["GET", "HEAD"]),
            Route("/ready", ready, methods=["GET", "HEAD"]),
            *routes,
        ],
        middleware=[Middleware(RequestContextMiddleware, service=name)],
        exception_handlers=dict(EXCEPTION_HANDLERS),
    )


def create_subgraph_app(
    name: str,
    schema: strawberry.federation.Schema,
    resources: Resources,
    routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """A subgraph: GraphQL at /graphql (GET and POST) plus everything `create_http_app` gives."""
    if ErrorPolicy not in schema.extensions:
        # Without it, exception text would reach clients unmasked.
        raise TypeError(f"subgraph {name!r}: build its schema with shared.graphql.federation_schema")
    view = SubgraphGraphQL(schema, resources)
    graphql_route = Route("/graphql", view, methods=["GET", "POST"])
    return create_http_app(name, resources, [graphql_route, *routes])
