"""Our composer against @theguild/federation-composition: the same supergraph, up to ordering."""

from __future__ import annotations

import difflib

import pytest
import strawberry

from router.composer import SubgraphSource, compose, graph_enum_name
from router.supergraph import load_supergraph
from shared.graphql import federation_schema
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


@strawberry.federation.type(keys=["id"], authenticated=True)
class Account:
    id: strawberry.ID
    email: str | None = strawberry.federation.field(requires_scopes=[["read:email"], ["admin"]])


@strawberry.type
class AccountQuery:
    @strawberry.federation.field(authenticated=True)
    def me(self) -> Account | None:
        return None

    @strawberry.federation.field(requires_scopes=[["read"]])
    def count(self) -> int:
        return 0


def test_authorization_directives_of_a_strawberry_subgraph_reach_the_supergraph() -> None:
    served = federation_schema(AccountQuery, types=[Account]).execute_sync("{ _service { sdl } }")
    assert served.data is not None
    result = compose([SubgraphSource("accounts", "http://accounts.test/graphql", served.data["_service"]["sdl"])])
    assert result.errors == []
    assert result.supergraph is not None
    assert '@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)' in result.supergraph
    assert '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)' in result.supergraph
    types = load_supergraph(result.supergraph).types
    assert types["Account"].authenticated
    assert types["Account"].fields["email"].requires_scopes == [["read:email"], ["admin"]]
    assert types["Query"].fields["me"].authenticated
    assert types["Query"].fields["count"].requires_scopes == [["read"]]


LINK_AUTH = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", '
    'import: ["@key", "@shareable", "@authenticated", "@requiresScopes", "@policy"])\n'
)


def test_requirements_of_several_subgraphs_on_one_field_are_all_asked() -> None:
    # Apollo's composition merges @requiresScopes and @policy by conjunction (DNF_CONJUNCTION):
    # what each subgraph asks must be met, so [a or b] and [c] become [a and c, or b and c].
    a = """type Query { u: U }
    type U @key(fields: "id") {
      id: ID! n: String @shareable @requiresScopes(scopes: [["a"], ["b"]]) @policy(policies: [["p"]])
    }"""
    b = """type U @key(fields: "id") {
      id: ID! n: String @shareable @requiresScopes(scopes: [["c"]]) @authenticated @policy(policies: [["p"]])
    }"""
    result = compose(
        [SubgraphSource("a", "http://a.test", LINK_AUTH + a), SubgraphSource("b", "http://b.test", LINK_AUTH + b)]
    )
    assert result.errors == []
    assert result.supergraph is not None
    assert (
        'n: String @requiresScopes(scopes: [["a", "c"], ["b", "c"]]) @policy(policies: [["p"]]) @authenticated'
        in result.supergraph
    )
    field = load_supergraph(result.supergraph).types["U"].fields["n"]
    assert field.requires_scopes == [["a", "c"], ["b", "c"]]
    assert field.authenticated


def test_an_element_asking_twice_in_a_supergraph_asks_for_both() -> None:
    # A type and its extension each with @requiresScopes, as another composer may write them.
    sdl = LINK_AUTH + 'type Query { t: T } type T @requiresScopes(scopes: [["x"], ["z"]]) { n: Int }'
    composed = compose([SubgraphSource("a", "http://a.test", sdl)])
    assert composed.supergraph is not None
    extended = composed.supergraph + '\nextend type T @requiresScopes(scopes: [["y"]])\n'
    assert load_supergraph(extended).types["T"].requires_scopes == [["x", "y"], ["y", "z"]]
