"""Our router over the whole scenario corpus, against the answers Apollo Gateway and Hive Gateway gave.

Each query must give the recorded `data` exactly (key order included, as the
GraphQL spec orders response fields; numbers by value) and the same presence of `errors`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from router.composer import SubgraphSource, compose
from router.gateway import Gateway
from tests.router import corpus

# Queries our router does not answer like the references yet, each with the reason.
# The marks are strict: a query that starts passing must be taken off this list.
KNOWN_GAPS: dict[str, str] = {
    "introspection/full_introspection_query": (
        "graphql-core 3.3 (which Strawberry 0.341 requires) has graphql-js 17's introspection types: "
        "`includeDeprecated: Boolean! = false` and a corrected description of subscriptionType; "
        "both references run graphql-js 16, where the argument is nullable"
    ),
}


def _params() -> list[object]:
    params = []
    for query in corpus.all_queries():
        marks = [pytest.mark.xfail(reason=KNOWN_GAPS[query.id], strict=True)] if query.id in KNOWN_GAPS else []
        params.append(pytest.param(query, id=query.id, marks=marks))
    return params


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateways() -> AsyncIterator[dict[str, Gateway]]:
    """Every scenario's subgraphs served at once, and a router in front of each."""
    opened: dict[str, Gateway] = {}
    async with contextlib.AsyncExitStack() as stack:
        for scenario in corpus.scenarios():
            urls = await stack.enter_async_context(corpus.serve(scenario))
            # Composed by our composer (test_composer.py holds it equal to the reference's).
            composed = compose([SubgraphSource(n, urls[n], scenario.sdl(n)) for n in scenario.subgraph_names])
            assert composed.supergraph is not None, composed.errors
            gateway = Gateway.from_sdl(composed.supergraph)
            for name, milliseconds in scenario.timeouts.items():
                gateway.set_subgraph_timeout(name, milliseconds / 1000)
            opened[scenario.name] = gateway
        try:
            yield opened
        finally:
            for gateway in opened.values():
                await gateway.close()


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("query", _params())
async def test_same_answer_as_the_references(query: corpus.Query, gateways: dict[str, Gateway]) -> None:
    expected = corpus.expected(query)
    result = await gateways[query.scenario].execute(query.query, query.variables, query.operation_name)
    ours = result.body
    assert corpus.same_data(ours.get("data"), expected.get("data")), (
        f"data differs\nours: {json.dumps(ours)[:2000]}\nwant: {json.dumps(expected)[:2000]}"
    )
    assert bool(ours.get("errors")) == bool(expected.get("errors")), (
        f"errors differ\nours: {ours.get('errors')}\nwant: {expected.get('errors')}"
    )
