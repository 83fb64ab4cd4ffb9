"""Subgraph answers that are malformed or not what the schema allows still give a complete response."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from router.composer import SubgraphSource, compose
from router.gateway import Gateway
from tests.helpers import serving

SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@inaccessible"])
type Query { status: Status item: Item items: [Item] }
enum Status { OPEN CLOSED INTERNAL @inaccessible }
type Item { n: Int! label: String }
"""


@pytest.fixture
async def answering() -> AsyncIterator[tuple[Gateway, list[Any]]]:
    """A gateway over one subgraph that answers whatever the test puts in the list."""
    answers: list[Any] = []

    async def graphql(request: Request) -> JSONResponse:
        return JSONResponse(answers[0])

    async with serving(Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])) as url:
        composed = compose([SubgraphSource("a", f"{url}/graphql", SDL)])
        assert composed.supergraph is not None, composed.errors
        gateway = Gateway.from_sdl(composed.supergraph)
        yield gateway, answers
        await gateway.close()


@pytest.mark.parametrize(
    "answer",
    [
        {"data": {"item": {"n": 1, "label": "x"}}, "errors": ["boom"]},
        {"data": {"item": {"n": 1, "label": "x"}}, "errors": {"message": "not a list"}},
        {"data": {"item": {"n": 1, "label": "x"}}, "errors": 5},
        {"data": {"item": {"n": 1, "label": "x"}}, "errors": [{"message": "m", "extensions": "ab", "path": 5}]},
    ],
)
async def test_malformed_errors_still_give_the_data(answering, answer: dict[str, Any]) -> None:
    gateway, answers = answering
    answers.append(answer)
    body = (await gateway.execute("{ item { n label } }")).body
    assert body["data"] == {"item": {"n": 1, "label": "x"}}
    assert body["errors"]


async def test_a_null_in_a_non_null_field_nulls_its_parent_with_one_error(answering) -> None:
    gateway, answers = answering
    answers.append({"data": {"items": [{"n": 1, "label": "a"}, {"n": None, "label": "b"}]}})
    body = (await gateway.execute("{ items { n label } }")).body
    assert body["data"] == {"items": [{"n": 1, "label": "a"}, None]}
    assert [e["path"] for e in body["errors"]] == [["items", 1, "n"]]


async def test_wrongly_shaped_values_are_field_errors_not_crashes(answering) -> None:
    gateway, answers = answering
    answers.append({"data": {"item": ["not", "an", "object"], "items": {"not": "a list"}}})
    body = (await gateway.execute("{ item { n } items { n } }")).body
    assert body["data"] == {"item": None, "items": None}
    assert len(body["errors"]) == 2


async def test_an_inaccessible_enum_value_never_reaches_the_client(answering) -> None:
    gateway, answers = answering
    answers.append({"data": {"status": "INTERNAL"}})
    body = (await gateway.execute("{ status }")).body
    assert body["data"] == {"status": None}
    assert body["errors"][0]["message"] == "Enum \"Status\" cannot represent value: 'INTERNAL'"
    answers[0] = {"data": {"status": "OPEN"}}
    assert (await gateway.execute("{ status }")).body == {"data": {"status": "OPEN"}}
