"""Subgraph requests: one flight per identical request, timeouts, and failures that say what happened."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from router.fetcher import Fetcher, SubgraphError
from tests.helpers import serving


@pytest.fixture
async def peer() -> AsyncIterator[tuple[str, list[bytes]]]:
    received: list[bytes] = []

    async def graphql(request: Request) -> Response:
        body = await request.body()
        received.append(body)
        await asyncio.sleep(0.2)  # long enough for concurrent callers to overlap
        return JSONResponse({"data": {"n": len(received)}})

    async def slow(request: Request) -> Response:
        await asyncio.sleep(1)
        return JSONResponse({"data": {}})

    async def html(request: Request) -> Response:
        return Response("<h1>502 Bad Gateway</h1>", status_code=502, media_type="text/html")

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["POST"]),
            Route("/slow", slow, methods=["POST"]),
            Route("/html", html, methods=["POST"]),
        ]
    )
    async with serving(app) as url:
        yield url, received


async def test_identical_requests_in_flight_are_sent_once(peer) -> None:
    url, received = peer
    fetcher = Fetcher()
    results = await asyncio.gather(*(fetcher.post(f"{url}/graphql", {"query": "{ n }"}) for _ in range(20)))
    await fetcher.close()
    assert len(received) == 1
    assert all(result == {"data": {"n": 1}} for result in results)


async def test_different_requests_or_headers_are_not_merged(peer) -> None:
    url, received = peer
    fetcher = Fetcher()
    await asyncio.gather(
        fetcher.post(f"{url}/graphql", {"query": "{ a }"}),
        fetcher.post(f"{url}/graphql", {"query": "{ b }"}),
        fetcher.post(f"{url}/graphql", {"query": "{ a }"}, {"authorization": "Bearer other"}),
    )
    await fetcher.close()
    assert len(received) == 3


async def test_request_ids_do_not_prevent_sharing(peer) -> None:
    url, received = peer
    fetcher = Fetcher()
    await asyncio.gather(
        *(fetcher.post(f"{url}/graphql", {"query": "{ a }"}, {"x-request-id": f"req-{n:08d}"}) for n in range(5))
    )
    await fetcher.close()
    assert len(received) == 1


async def test_sequential_identical_requests_are_each_sent(peer) -> None:
    url, received = peer
    fetcher = Fetcher()
    await fetcher.post(f"{url}/graphql", {"query": "{ n }"})
    await fetcher.post(f"{url}/graphql", {"query": "{ n }"})
    await fetcher.close()
    assert len(received) == 2


async def test_per_subgraph_timeout(peer) -> None:
    url, _ = peer
    fetcher = Fetcher(timeout=30)
    fetcher.set_timeout(f"{url}/slow", 0.2)
    with pytest.raises(SubgraphError, match=r"timed out after 0.2s"):
        await fetcher.post(f"{url}/slow", {"query": "{ n }"})
    await fetcher.close()


async def test_a_non_graphql_answer_is_named(peer) -> None:
    url, _ = peer
    fetcher = Fetcher()
    with pytest.raises(SubgraphError, match="HTTP 502 with a body that is not JSON"):
        await fetcher.post(f"{url}/html", {"query": "{ n }"})
    await fetcher.close()


async def test_refused_connection_is_named() -> None:
    fetcher = Fetcher()
    with pytest.raises(SubgraphError, match=r"request failed: cannot connect to 127\.0\.0\.1:1"):
        await fetcher.post("http://127.0.0.1:1/graphql", {"query": "{ n }"})
    await fetcher.close()


async def test_sharers_get_their_own_copy_of_the_answer(peer) -> None:
    url, received = peer
    fetcher = Fetcher()
    first, second = await asyncio.gather(
        fetcher.post(f"{url}/graphql", {"query": "{ n }"}), fetcher.post(f"{url}/graphql", {"query": "{ n }"})
    )
    await fetcher.close()
    assert len(received) == 1
    first["data"]["n"] = "changed by one request"
    assert second == {"data": {"n": 1}}


async def test_mutations_are_never_shared(peer) -> None:
    url, received = peer
    fetcher = Fetcher()
    body = {"query": "mutation { bump }"}
    await asyncio.gather(
        fetcher.post(f"{url}/graphql", body, share=False), fetcher.post(f"{url}/graphql", body, share=False)
    )
    await fetcher.close()
    assert len(received) == 2


async def test_a_cancelled_leader_does_not_cancel_those_who_joined(peer) -> None:
    url, _ = peer
    fetcher = Fetcher()
    leader = asyncio.create_task(fetcher.post(f"{url}/graphql", {"query": "{ n }"}))
    await asyncio.sleep(0.05)
    follower = asyncio.create_task(fetcher.post(f"{url}/graphql", {"query": "{ n }"}))
    await asyncio.sleep(0.05)
    leader.cancel()
    result = await follower
    await fetcher.close()
    assert result["data"]["n"] >= 1
    assert leader.cancelled()
