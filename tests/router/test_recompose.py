"""The router started from subgraph URLs: composed at start, recomposed on request, never left without a supergraph."""

from __future__ import annotations

import httpx

from router.app import RouterState, admin_route, graphql_route
from shared.app import create_http_app
from shared.config import load_settings
from shared.resources import Resources
from tests.helpers import serving
from tests.router import corpus

SECRET = "s3cret-admin-token-for-tests"


async def test_composes_from_urls_and_recomposes_on_request(resources: Resources) -> None:
    scenario = corpus.scenario("bench")
    async with corpus.serve(scenario) as urls:
        settings = load_settings(
            {"SUBGRAPH_URLS": ",".join(f"{n}={u}" for n, u in urls.items()), "ROUTER_ADMIN_SECRET": SECRET}
        )
        state = RouterState(settings)
        app = create_http_app("router", resources, [graphql_route(state), admin_route(state)])
        async with serving(app) as base, httpx.AsyncClient(base_url=base) as client:
            first = await client.post("/graphql", json={"query": "{ me { id name } }"})
            assert first.json() == {"data": {"me": {"id": "1", "name": "Ada Lovelace"}}}
            composed = state.gateway

            refused = await client.post("/admin/recompose", headers={"authorization": "Bearer wrong-secret-xxxxxxx"})
            assert refused.status_code == 401
            assert state.gateway is composed

            again = await client.post("/admin/recompose", headers={"authorization": f"Bearer {SECRET}"})
            assert again.json() == {"status": "recomposed"}
            assert state.gateway is not composed
            kept = state.gateway

            # A subgraph that cannot be reached: the recomposition fails and says why; service goes on.
            settings.subgraph_urls["ghost"] = "http://127.0.0.1:1/graphql"
            failed = await client.post("/admin/recompose", headers={"authorization": f"Bearer {SECRET}"})
            assert failed.status_code == 422
            assert "subgraph ghost" in failed.json()["errors"][0]
            assert state.gateway is kept
            still = await client.post("/graphql", json={"query": "{ me { id } }"})
            assert still.json() == {"data": {"me": {"id": "1"}}}


async def test_recompose_endpoint_is_off_without_a_secret(resources: Resources) -> None:
    state = RouterState(load_settings({}))
    app = create_http_app("router", resources, [graphql_route(state), admin_route(state)])
    async with serving(app) as base, httpx.AsyncClient(base_url=base) as client:
        response = await client.post("/admin/recompose", headers={"authorization": f"Bearer {SECRET}"})
    assert response.status_code == 404


async def test_a_router_that_cannot_compose_answers_503_at_once_and_retries_later(resources: Resources) -> None:
    settings = load_settings({"SUBGRAPH_URLS": "ghost=http://127.0.0.1:1/graphql"})
    state = RouterState(settings)
    app = create_http_app("router", resources, [graphql_route(state)])
    async with serving(app) as base, httpx.AsyncClient(base_url=base) as client:
        for _ in range(3):
            response = await client.post("/graphql", json={"query": "{ __typename }"})
            assert response.status_code == 503
    assert state.gateway is None
