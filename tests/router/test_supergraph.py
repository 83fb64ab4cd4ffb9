"""Loading a supergraph: what is refused (with the line at fault) and the API schema derived."""

from __future__ import annotations

import pytest
from graphql import print_schema

from router.supergraph import SupergraphError, load_supergraph

HEADER = """schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/{join}", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)
  @link(url: "https://specs.apollo.dev/tag/v0.3")
  @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)
{{
  query: Query
}}

directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM \
| ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION \
| SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, \
external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! \
= true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

scalar join__FieldSet
scalar link__Import
enum link__Purpose {{ SECURITY EXECUTION }}

enum join__Graph {{
  ACCOUNTS @join__graph(name: "accounts", url: "http://127.0.0.1:4001/graphql")
  REVIEWS @join__graph(name: "reviews", url: "http://127.0.0.1:4002/graphql")
}}
"""

TYPES = """
type Query @join__type(graph: ACCOUNTS) @join__type(graph: REVIEWS) {
  me: User @join__field(graph: ACCOUNTS) @authenticated
  internal: String @join__field(graph: ACCOUNTS) @inaccessible
  search(term: String, debug: Boolean @inaccessible): [Review] @join__field(graph: REVIEWS)
}

type User @join__type(graph: ACCOUNTS, key: "id") @join__type(graph: REVIEWS, key: "id") @tag(name: "public") {
  id: ID!
  name: String @join__field(graph: ACCOUNTS)
  email: String @join__field(graph: ACCOUNTS) @inaccessible
  reviews: [Review] @join__field(graph: REVIEWS)
  status: Status @join__field(graph: ACCOUNTS)
}

enum Status @join__type(graph: ACCOUNTS) {
  ACTIVE @join__enumValue(graph: ACCOUNTS)
  BANNED @join__enumValue(graph: ACCOUNTS) @inaccessible
}

type Review @join__type(graph: REVIEWS) {
  body: String
  author: User @join__field(graph: REVIEWS, provides: "name")
}

type Secret @join__type(graph: ACCOUNTS) @inaccessible {
  value: String
}
"""


def supergraph(join: str = "v0.3", types: str = TYPES) -> str:
    return HEADER.format(join=join) + types


@pytest.mark.parametrize("join", ["v0.2", "v0.3", "v0.4", "v0.5"])
def test_supported_join_versions_load(join: str) -> None:
    loaded = load_supergraph(supergraph(join))
    assert {g.name for g in loaded.graphs.values()} == {"accounts", "reviews"}


def test_api_schema_hides_join_machinery_and_inaccessible_elements() -> None:
    api = print_schema(load_supergraph(supergraph()).api_schema)
    for hidden in ("join__", "link__", "internal", "email", "BANNED", "Secret", "debug", "@tag", "@authenticated"):
        assert hidden not in api, hidden
    assert "search(term: String): [Review]" in api
    assert "ACTIVE" in api


def test_metadata_for_the_planner() -> None:
    loaded = load_supergraph(supergraph())
    user = loaded.types["User"]
    assert [(j.graph, j.key is not None) for j in user.joins] == [("ACCOUNTS", True), ("REVIEWS", True)]
    assert [j.graph for j in user.fields["reviews"].joins] == ["REVIEWS"]
    assert loaded.types["Review"].fields["author"].joins[0].provides is not None
    assert loaded.types["Query"].fields["me"].authenticated is True


@pytest.mark.parametrize(
    ("sdl", "message"),
    [
        ("type Query {", "does not parse: Syntax Error: Expected Name, found <EOF>. at line 1, column 13"),
        ("type Query { a: Int }", "has no `schema @link(...)`"),
        (supergraph("v0.1"), "line 3: join v0.1 is not supported (v0.2 to v0.5 are)"),
        (
            supergraph().replace("specs.apollo.dev/link/v1.0", "specs.apollo.dev/link/v2.0"),
            "line 2: link v2.0 is not supported",
        ),
        (
            supergraph().replace(
                '@link(url: "https://specs.apollo.dev/tag/v0.3")',
                '@link(url: "https://example.com/rate-limit/v1.0", for: EXECUTION)',
            ),
            "imports 'https://example.com/rate-limit/v1.0' for EXECUTION",
        ),
        (supergraph().replace("graph: REVIEWS, provides", "graph: NOWHERE, provides"), "names unknown graph 'NOWHERE'"),
        (supergraph().replace('provides: "name"', 'provides: "name {"'), "malformed field set 'name {'"),
        ('schema @core(feature: "https://specs.apollo.dev/core/v0.1") { query: Query }', "@core (Federation 1"),
    ],
)
def test_unsupported_or_malformed_supergraphs_are_refused_with_the_place(sdl: str, message: str) -> None:
    with pytest.raises(SupergraphError) as caught:
        load_supergraph(sdl)
    assert message in str(caught.value)
