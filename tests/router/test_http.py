"""The router's GraphQL over HTTP, served on 127.0.0.1 in front of the bench scenario's subgraphs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from router.app import RouterState, graphql_route
from router.gateway import Gateway
from router.http import GRAPHQL_RESPONSE
from shared.app import create_http_app
from shared.resources import Resources
from tests.helpers import serving
from tests.router import corpus
from tests.router.subgraph_kit import RequestLog

JSON_HEADERS = {"content-type": "application/json"}


@pytest.fixture
async def router(resources: Resources) -> AsyncIterator[tuple[httpx.AsyncClient, RequestLog]]:
    scenario = corpus.scenario("bench")
    log = RequestLog()
    async with corpus.serve(scenario, log) as urls:
        gateway = Gateway.from_sdl(corpus.fixture("bench")["supergraph"], subgraph_urls=urls)
        route = graphql_route(RouterState(resources.settings, gateway), resources.cache)
        app = create_http_app("router", resources, [route])
        async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
            yield client, log
        await gateway.close()


async def test_post_json_answers_200_with_data(router) -> None:
    client, _ = router
    response = await client.post("/graphql", json={"query": "{ me { id name } }"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"data": {"me": {"id": "1", "name": "Ada Lovelace"}}}


async def test_graphql_response_media_type_when_accepted(router) -> None:
    client, _ = router
    response = await client.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"}
    )
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("accept", "status"),
    [(GRAPHQL_RESPONSE, 400), ("application/json", 200), (None, 200)],
)
async def test_request_errors_are_400_only_with_the_new_media_type(router, accept: str | None, status: int) -> None:
    client, _ = router
    headers = {"accept": accept} if accept else {}
    response = await client.post("/graphql", json={"query": "{ nope }"}, headers=headers)
    assert response.status_code == status
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "data" not in response.json()


async def test_unacceptable_media_type_is_406(router) -> None:
    client, _ = router
    response = await client.post("/graphql", json={"query": "{ me { id } }"}, headers={"accept": "text/csv"})
    assert response.status_code == 406


async def test_get_runs_queries(router) -> None:
    client, _ = router
    response = await client.get(
        "/graphql",
        params={"query": "query($id: ID!) { user(id: $id) { name } }", "variables": '{"id": "2"}'},
        headers={"apollo-require-preflight": "true"},
    )
    assert response.status_code == 200
    assert response.json()["data"]["user"]["name"] is not None


@pytest.mark.parametrize(
    ("headers", "content"),
    [
        ({"content-type": "text/plain"}, b'{"query": "{ me { id } }"}'),
        ({"content-type": "application/x-www-form-urlencoded"}, b"query=%7B%20me%20%7B%20id%20%7D%20%7D"),
        ({}, b'{"query": "{ me { id } }"}'),
    ],
)
async def test_simple_requests_are_blocked_as_csrf(router, headers: dict[str, str], content: bytes) -> None:
    client, log = router
    response = await client.post("/graphql", content=content, headers=headers)
    assert response.status_code == 400
    assert "Cross-Site Request Forgery" in response.json()["errors"][0]["message"]
    assert log.requests == []


async def test_get_without_a_preflight_header_is_blocked(router) -> None:
    client, _ = router
    response = await client.get("/graphql", params={"query": "{ me { id } }"})
    assert response.status_code == 400


async def test_post_that_is_not_json_is_415_once_preflighted(router) -> None:
    client, _ = router
    response = await client.post(
        "/graphql",
        content=b"{ me { id } }",
        headers={"content-type": "application/graphql", "x-apollo-operation-name": "x"},
    )
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"variables": {}}', "has no query"),
        (b'{"query": "{ me { id } }", "variables": [1]}', "`variables` must be a JSON object"),
    ],
)
async def test_malformed_requests_are_400_and_say_why(router, body: bytes, message: str) -> None:
    client, _ = router
    response = await client.post("/graphql", content=body, headers=JSON_HEADERS)
    assert response.status_code == 400
    assert message in response.json()["errors"][0]["message"]


async def test_bad_variables_are_bad_user_input(router) -> None:
    client, log = router
    response = await client.post(
        "/graphql", json={"query": "query($id: ID!) { user(id: $id) { name } }", "variables": {"id": {"x": 1}}}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert log.requests == []


async def test_authorization_and_request_id_reach_the_subgraphs(router) -> None:
    client, log = router
    response = await client.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={"authorization": "Bearer abc", "x-request-id": "trace-123456"},
    )
    assert response.headers["x-request-id"] == "trace-123456"
    [sent] = log.requests
    assert sent["headers"]["authorization"] == "Bearer abc"
    assert sent["headers"]["x-request-id"] == "trace-123456"


async def test_browsers_get_the_explorer(router) -> None:
    client, _ = router
    response = await client.get("/graphql", headers={"accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 200
    assert "Rose Ash GraphQL" in response.text


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ " + "me { " * 30 + "id" + " }" * 31, "MAX_DEPTH_EXCEEDED"),
        ("{ " + " ".join(f"a{i}: me {{ id }}" for i in range(250)) + " }", "MAX_ALIASES_EXCEEDED"),
        ("{ me { " + "id " * 20000 + "} }", "MAX_TOKENS_EXCEEDED"),
        ("# " + "x" * 300_000 + "\n{ me { id } }", "MAX_DOCUMENT_SIZE_EXCEEDED"),
    ],
)
async def test_limits_refuse_with_a_clear_code(router, query: str, code: str) -> None:
    client, log = router
    response = await client.post("/graphql", json={"query": query}, headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == code
    assert log.requests == []


async def test_get_refuses_mutations_with_405(resources: Resources) -> None:
    scenario = corpus.scenario("mutations")
    log = RequestLog()
    async with corpus.serve(scenario, log) as urls:
        gateway = Gateway.from_sdl(corpus.fixture("mutations")["supergraph"], subgraph_urls=urls)
        app = create_http_app("router", resources, [graphql_route(RouterState(resources.settings, gateway))])
        async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
            refused = await client.get(
                "/graphql",
                params={"query": "mutation { reset { seq } }"},
                headers={"apollo-require-preflight": "true", "accept": GRAPHQL_RESPONSE},
            )
            allowed = await client.get(
                "/graphql", params={"query": "{ count }"}, headers={"apollo-require-preflight": "true"}
            )
        await gateway.close()
    assert refused.status_code == 405
    assert refused.headers["allow"] == "POST"
    assert allowed.status_code == 200
    assert all("reset" not in request["body"]["query"] for request in log.requests)


async def test_automatic_persisted_queries(router) -> None:
    client, log = router
    query = "{ me { id name } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    unknown = await client.post("/graphql", json={"extensions": persisted})
    assert unknown.status_code == 200
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert log.requests == []
    registered = await client.post("/graphql", json={"query": query, "extensions": persisted})
    assert registered.json()["data"]["me"]["id"] == "1"
    by_hash = await client.get(
        "/graphql", params={"extensions": json.dumps(persisted)}, headers={"apollo-require-preflight": "true"}
    )
    assert by_hash.json()["data"]["me"]["name"] == "Ada Lovelace"
    wrong = await client.post(
        "/graphql", json={"query": "{ me { id } }", "extensions": persisted}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["message"] == "provided sha does not match query"
    version = await client.post(
        "/graphql", json={"extensions": {"persistedQuery": {"version": 2, "sha256Hash": digest}}}
    )
    assert version.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
