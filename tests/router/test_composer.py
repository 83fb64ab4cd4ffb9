"""Our composer against @theguild/federation-composition: the same supergraph, up to ordering."""

from __future__ import annotations

import difflib

import pytest

from router.composer import SubgraphSource, compose, graph_enum_name
from router.supergraph import load_supergraph
from tests.router import corpus
from tests.router.sdl_normal import normal_sdl


def sources(scenario: corpus.Scenario, urls: dict[str, str]) -> list[SubgraphSource]:
    return [
        SubgraphSource(name, urls.get(name, f"http://{name}.test/graphql"), scenario.sdl(name))
        for name in scenario.subgraph_names
    ]


@pytest.mark.parametrize("scenario", corpus.scenarios(), ids=lambda s: s.name)
def test_router_scenarios_compose_like_the_reference(scenario: corpus.Scenario) -> None:
    recorded = corpus.fixture(scenario.name)
    result = compose(sources(scenario, recorded.get("urls", {})))
    assert result.errors == []
    assert result.supergraph is not None
    ours, theirs = normal_sdl(result.supergraph), normal_sdl(recorded["supergraph"])
    assert ours == theirs, "\n".join(difflib.unified_diff(theirs.splitlines(), ours.splitlines(), lineterm=""))
    # And our router loads what our composer wrote.
    load_supergraph(result.supergraph)


@pytest.mark.parametrize(
    ("subgraph", "enum"), [("accounts", "ACCOUNTS"), ("my-service", "MY_SERVICE"), ("2fa", "_2FA")]
)
def test_graph_enum_names(subgraph: str, enum: str) -> None:
    assert graph_enum_name(subgraph) == enum


def test_kind_mismatch_names_the_type_and_subgraphs() -> None:
    result = compose(
        [
            SubgraphSource("a", "http://a.test", "type Query { x: Thing } type Thing { id: ID }"),
            SubgraphSource("b", "http://b.test", "type Query { y: Thing } interface Thing { id: ID }"),
        ]
    )
    assert result.supergraph is None
    [error] = result.errors
    assert error.code == "TYPE_KIND_MISMATCH"
    assert '"Thing"' in error.message
    assert "object in a" in error.message
    assert "interface in b" in error.message


def test_field_type_mismatch_names_the_field_and_subgraphs() -> None:
    link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@shareable"])\n'
    result = compose(
        [
            SubgraphSource("a", "http://a.test", link + "type Query { x: T @shareable } type T @shareable { n: Int }"),
            SubgraphSource(
                "b", "http://b.test", link + "type Query { x: T @shareable } type T @shareable { n: String }"
            ),
        ]
    )
    assert [e.code for e in result.errors] == ["FIELD_TYPE_MISMATCH"]
    assert '"T.n"' in result.errors[0].message
    assert 'type "Int" in subgraph "a"' in result.errors[0].message
    assert 'type "String" in subgraph "b"' in result.errors[0].message


def test_unparsable_subgraph_is_invalid_graphql() -> None:
    result = compose([SubgraphSource("a", "http://a.test", "type Query {")])
    assert [e.code for e in result.errors] == ["INVALID_GRAPHQL"]
    assert result.errors[0].message.startswith("[a] Syntax Error")
