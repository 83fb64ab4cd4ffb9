"""Subgraphs in the router's own process (the embedded default), called through their apps."""

from __future__ import annotations

import pytest

from router.composer import SubgraphSource, compose
from router.gateway import Gateway
from tests.router import corpus
from tests.router.subgraph_kit import RequestLog, subgraph_app


@pytest.mark.parametrize("query_name", ["benchmark", "me"])
async def test_in_process_subgraphs_answer_like_served_ones(query_name: str) -> None:
    scenario = corpus.scenario("bench")
    urls = {name: f"http://{name}.in-process/graphql" for name in scenario.subgraph_names}
    composed = compose([SubgraphSource(n, urls[n], scenario.sdl(n)) for n in scenario.subgraph_names])
    assert composed.supergraph is not None
    gateway = Gateway.from_sdl(composed.supergraph)
    log = RequestLog()
    state: dict[str, object] = {}
    for subgraph in scenario.subgraphs():
        gateway.fetcher.mount(urls[subgraph.name], subgraph_app(subgraph, state, log))
    query = next(q for q in scenario.queries if q.name == query_name)
    result = await gateway.execute(query.query, query.variables, query.operation_name, {"x-request-id": "in-proc-1"})
    await gateway.close()
    expected = corpus.expected(query)
    assert corpus.same_data(result.body.get("data"), expected.get("data"))
    assert bool(result.body.get("errors")) == bool(expected.get("errors"))
    assert log.requests
    assert all(r["headers"]["x-request-id"] == "in-proc-1" for r in log.requests)


async def test_a_crashing_in_process_subgraph_is_a_failed_fetch_not_a_crash() -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.routing import Route

    async def broken(request: Request) -> None:
        raise RuntimeError("subgraph bug")

    sdl = "type Query { hello: String }"
    composed = compose([SubgraphSource("a", "http://a.in-process/graphql", sdl)])
    assert composed.supergraph is not None
    gateway = Gateway.from_sdl(composed.supergraph)
    gateway.fetcher.mount(
        "http://a.in-process/graphql", Starlette(routes=[Route("/graphql", broken, methods=["POST"])])
    )
    body = (await gateway.execute("{ hello }")).body
    await gateway.close()
    assert body["data"] == {"hello": None}
    assert body["errors"][0]["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
