"""The corpus and its oracle fixtures are complete and current (no router involved).

A scenario changed without rerunning `make oracle` fails here, as does a disagreement
between Apollo Gateway and Hive Gateway that no query annotation settles.
"""

from __future__ import annotations

import json
import re

import httpx
import pytest
from graphql import parse

from tests.router import corpus
from tests.router.subgraph_kit import RequestLog, Subgraph

MINIMUM_QUERIES = 150


def test_enough_queries() -> None:
    assert len(corpus.all_queries()) >= MINIMUM_QUERIES


@pytest.mark.parametrize("scenario", corpus.scenarios(), ids=lambda s: s.name)
def test_fixture_is_present_and_current(scenario: corpus.Scenario) -> None:
    recorded = corpus.fixture(scenario.name)  # raises when missing or stale
    assert recorded["subgraphs"] == list(scenario.subgraph_names)
    assert sorted(recorded["graphs"].values()) == sorted(scenario.subgraph_names)
    assert set(recorded["results"]) == {q.name for q in scenario.queries}
    for results in recorded["results"].values():
        assert set(results) >= set(corpus.GATEWAYS)


@pytest.mark.parametrize("scenario", corpus.scenarios(), ids=lambda s: s.name)
def test_every_query_is_valid_graphql(scenario: corpus.Scenario) -> None:
    # Parsing only: some queries are deliberately invalid against the schema (validation errors).
    for query in scenario.queries:
        if query.name != "syntax_error":
            parse(query.query)


def test_disagreements_are_annotated() -> None:
    assert corpus.annotation_problems() == []


def test_annotations_name_a_gateway() -> None:
    for query in corpus.all_queries():
        if query.expect is not None or query.why is not None:
            assert query.expect in corpus.EXPECTATIONS, query.id
            assert len(query.why or "") > 40, f"{query.id}: say why"
        if query.expect == "spec":
            assert isinstance(query.spec_body, dict), query.id
            assert "data" in query.spec_body, query.id


def test_every_query_has_an_expected_answer() -> None:
    for query in corpus.all_queries():
        body = corpus.expected(query)
        assert "data" in body or body.get("errors"), query.id


def test_same_data_orders_keys_and_compares_numbers_by_value() -> None:
    assert corpus.same_data({"a": 30, "b": [1.5, None]}, {"a": 30.0, "b": [1.5, None]})
    assert not corpus.same_data({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert not corpus.same_data({"a": True}, {"a": 1})
    assert not corpus.same_data([1, 2], [1, 2, 3])
    assert not corpus.same_data({"a": "1"}, {"a": 1})


def test_graph_names_map_enum_values_to_subgraphs() -> None:
    recorded = corpus.fixture("bench")
    assert recorded["graphs"] == {
        "INVENTORY": "inventory",
        "PRODUCTS": "products",
        "REVIEWS": "reviews",
        "USERS": "users",
    }
    for value, name in recorded["graphs"].items():
        assert re.search(rf'{value} @join__graph\(name: "{name}"', recorded["supergraph"])


def test_benchmark_query_is_about_95_kb() -> None:
    body = corpus.expected(next(q for q in corpus.scenario("bench").queries if q.name == "benchmark"))
    size = len(json.dumps(body, separators=(",", ":")))
    assert 85_000 < size < 110_000
    assert "errors" not in body


def test_digest_changes_with_any_scenario_file(tmp_path) -> None:
    scenario = corpus.scenario("chains")
    copy = tmp_path / "chains"
    copy.mkdir()
    for file in scenario.path.iterdir():
        if file.is_file():
            (copy / file.name).write_bytes(file.read_bytes())
    clone = corpus.Scenario(scenario.name, copy, "", scenario.subgraph_names, scenario.queries)
    before = clone.digest()
    assert before == scenario.digest()
    (copy / "people.json").write_text((copy / "people.json").read_text() + " ")
    assert clone.digest() != before


# The subgraph kit, directly: what the gateways rely on when they call a scenario's subgraphs.


async def test_kit_serves_service_sdl_and_entities() -> None:
    scenario = corpus.scenario("entity_keys")
    log = RequestLog()
    async with corpus.serve(scenario, log) as urls, httpx.AsyncClient() as client:
        sdl = await client.post(urls["stock"], json={"query": "{ _service { sdl } }"})
        assert sdl.json() == {"data": {"_service": {"sdl": scenario.sdl("stock")}}}
        representations = [
            {"__typename": "Product", "brand": {"code": "ACME"}, "model": "Rocket"},
            {"__typename": "Product", "brand": {"code": "NONE"}, "model": "Rocket"},
        ]
        entities = await client.post(
            urls["stock"],
            json={
                "query": "query($r: [_Any!]!) { _entities(representations: $r) "
                "{ __typename ... on Product { quantity warehouse { number } } } }",
                "variables": {"r": representations},
            },
        )
        assert entities.json() == {
            "data": {"_entities": [{"__typename": "Product", "quantity": 0, "warehouse": {"number": 7}}, None]}
        }
        requests = await client.get(urls["stock"].removesuffix("/graphql") + "/_kit/requests")
        assert requests.json() == {"stock": 2}


async def test_kit_merges_representation_fields_for_requires() -> None:
    sdl = """
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])
    type Thing @key(fields: "id") {
      id: ID!
      size: Int @external
      double: Int @requires(fields: "size")
    }
    """
    subgraph = Subgraph("t", sdl, {}, {"Thing.double": lambda thing, _info: thing["size"] * 2})
    result = await subgraph.execute(
        {
            "query": "query($r: [_Any!]!) { _entities(representations: $r) { ... on Thing { id double } } }",
            "variables": {"r": [{"__typename": "Thing", "id": "1", "size": 21}]},
        },
        {},
    )
    assert result == {"data": {"_entities": [{"id": "1", "double": 42}]}}
