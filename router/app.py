"""The router service: GraphQL over HTTP at /graphql in front of the supergraph's subgraphs.

The supergraph comes from SUPERGRAPH_PATH, or, with SUBGRAPH_URLS, is composed
from the running subgraphs at start and again on `POST /admin/recompose`
(allowed only with ROUTER_ADMIN_SECRET as a bearer token). A composition that
fails leaves the running supergraph in place and says why.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Mapping

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from router.composer import compose
from router.gateway import Gateway
from router.http import GraphQLEndpoint
from router.limits import Limits
from router.persisted_queries import PersistedQueries
from router.subgraph_sources import SourceError, fetch_sources
from router.supergraph import load_supergraph
from shared.app import create_http_app
from shared.auth import TokenVerifier
from shared.cache import Cache
from shared.config import Settings
from shared.http import problem_response
from shared.resources import Resources

logger = logging.getLogger("roseash.router")

# How long a router that could not compose at start waits before trying again.
RETRY_SECONDS = 5.0


class RouterState:
    """The gateway in service, replaced whole when a recomposition succeeds."""

    def __init__(self, settings: Settings, gateway: Gateway | None = None) -> None:
        self.settings = settings
        self.gateway = gateway
        self._lock = asyncio.Lock()
        self._retiring: set[asyncio.Task[None]] = set()
        self._next_attempt = 0.0  # after a failed start, requests answer 503 at once until then

    def _configure(self, gateway: Gateway) -> Gateway:
        gateway.fetcher.default_timeout = self.settings.subgraph_timeout
        for name, seconds in self.settings.subgraph_timeouts.items():
            if any(g.name == name for g in gateway.supergraph.graphs.values()):
                gateway.set_subgraph_timeout(name, seconds)
        return gateway

    def load_file(self) -> None:
        path = self.settings.supergraph_path
        if not path.exists():
            logger.warning("no supergraph at %s: /graphql is unavailable until one is composed", path)
            return
        self.gateway = self._configure(Gateway(load_supergraph(path.read_text())))

    async def current(self) -> Gateway | None:
        loop = asyncio.get_running_loop()
        due = self.gateway is None and self.settings.subgraph_urls and loop.time() >= self._next_attempt
        if due and await self.recompose():
            self._next_attempt = loop.time() + RETRY_SECONDS
        return self.gateway

    async def recompose(self) -> list[str]:
        """Compose from the subgraphs now; return the problems (empty when the new supergraph is in service)."""
        async with self._lock:
            try:
                sources = await fetch_sources(self.settings.subgraph_urls, self.settings.subgraph_timeout)
            except SourceError as exc:
                logger.warning("recomposition failed: %s", exc)
                return [str(exc)]
            result = compose(sources)
            if result.supergraph is None:
                problems = [f"{e.code}: {e.message}" for e in result.errors]
                logger.warning("recomposition failed; keeping the running supergraph", extra={"errors": problems})
                return problems
            previous, self.gateway = self.gateway, self._configure(Gateway(load_supergraph(result.supergraph)))
            logger.info("recomposed the supergraph from %d subgraphs", len(sources))
        if previous is not None:
            # Requests already running on the old gateway finish first.
            task = asyncio.create_task(_close_later(previous, self.settings.subgraph_timeout))
            self._retiring.add(task)
            task.add_done_callback(self._retiring.discard)
        return []


async def _close_later(gateway: Gateway, seconds: float) -> None:
    await asyncio.sleep(seconds)
    await gateway.close()


def graphql_route(state: RouterState, cache: Cache | None = None, tokens: TokenVerifier | None = None) -> Route:
    """/graphql; with a cache, automatic persisted queries are on (the cache holds their texts);
    with `tokens`, bearer tokens are verified and authorization directives see whom they name."""
    persisted = PersistedQueries(cache, Limits().max_bytes) if cache is not None else None
    return Route("/graphql", GraphQLEndpoint(state.current, persisted, tokens).handle, methods=["GET", "POST"])


def admin_route(state: RouterState) -> Route:
    async def recompose(request: Request) -> Response:
        secret = state.settings.router_admin_secret
        if secret is None or not state.settings.subgraph_urls:
            return problem_response(
                404, "Not Found", detail="recomposition needs SUBGRAPH_URLS and ROUTER_ADMIN_SECRET"
            )
        presented = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(presented.encode(), secret.encode()):
            return problem_response(401, "Unauthorized", detail="present the admin secret as a bearer token")
        problems = await state.recompose()
        if problems:
            return problem_response(
                422, "Unprocessable Content", detail="composition failed; the running supergraph stays", errors=problems
            )
        return Response(orjson.dumps({"status": "recomposed"}), media_type="application/json")

    return Route("/admin/recompose", recompose, methods=["POST"])


def router_state(resources: Resources, local: Mapping[str, ASGIApp] | None = None) -> RouterState:
    """The router's state; `local` maps subgraph names to apps in this process, called without sockets."""
    state = RouterState(resources.settings)
    if not resources.settings.subgraph_urls:
        state.load_file()
    if state.gateway is not None:
        for graph in state.gateway.supergraph.graphs.values():
            app = (local or {}).get(graph.name)
            if app is not None:
                state.gateway.fetcher.mount(state.gateway.urls[graph.enum_value], app)
    return state


def create_app(resources: Resources) -> Starlette:
    state = router_state(resources)
    routes = [graphql_route(state, resources.cache, resources.tokens), admin_route(state)]
    return create_http_app("router", resources, routes)
