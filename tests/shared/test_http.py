"""RequestContextMiddleware: every request gets a complete answer and a request id."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Mount, Route

from shared.errors import NotFound
from shared.http import EXCEPTION_HANDLERS, RequestContextMiddleware
from shared.logs import request_id_var
from tests.helpers import serving


async def crash_midway(request: Request) -> Response:
    async def body():  # type: ignore[no-untyped-def]
        yield b'{"partial":'
        raise RuntimeError("stream broke")

    return StreamingResponse(body(), media_type="application/json")


async def not_found(request: Request) -> Response:
    raise NotFound("no such order", id="o-1")


async def echo_request_id(request: Request) -> Response:
    return Response(request_id_var.get() or "")


def build() -> Starlette:
    inner = Starlette(routes=[Route("/id", echo_request_id)])
    inner.add_middleware(RequestContextMiddleware, service="inner")
    app = Starlette(
        routes=[
            Route("/midway", crash_midway),
            Route("/missing", not_found),
            Route("/id", echo_request_id),
            Mount("/inner", inner),
        ],
        exception_handlers=dict(EXCEPTION_HANDLERS),
    )
    app.add_middleware(RequestContextMiddleware, service="outer")
    return app


async def test_app_errors_on_plain_routes_are_problem_documents_with_their_code() -> None:
    async with serving(build()) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/missing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["detail"] == "no such order"
    assert body["code"] == "NOT_FOUND"
    assert body["id"] == "o-1"


async def test_crash_after_the_response_started_still_ends_the_response(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="roseash.http"):
        async with serving(build()) as url, httpx.AsyncClient(base_url=url) as client:
            response = await client.get("/midway")
            # The connection is still usable: the server did not drop it.
            assert (await client.get("/id")).status_code == 200
    assert response.status_code == 200
    assert response.content == b'{"partial":'
    assert "stream broke" in caplog.text


async def test_a_mounted_app_keeps_the_outer_request_id() -> None:
    async with serving(build()) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/inner/id")
    assert response.text == response.headers["x-request-id"]
    assert response.headers.get_list("x-request-id") == [response.text]
