"""@authenticated and @requiresScopes enforced by the router, over HTTP on 127.0.0.1.

No gateway of the oracle (tests/router/oracle: Apollo Gateway, Hive Gateway)
enforces these directives; Apollo Gateway explicitly does not. The reference is
Apollo Router's documented behaviour
(https://www.apollographql.com/docs/router/configuration/authorization/):
unauthorized fields are removed from the subgraph requests and answered as null
with an UNAUTHORIZED_FIELD_OR_TYPE error at their path; @requiresScopes is an
OR of ANDs. Nulls propagate as the GraphQL spec's "Handling Execution Errors"
says, one error per null.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from joserfc.jwk import RSAKey
from starlette.applications import Starlette

from router.app import RouterState, graphql_route
from router.composer import SubgraphSource, compose
from router.gateway import Gateway
from shared.auth import ANONYMOUS, TokenVerifier, Viewer
from shared.config import load_settings
from shared.jwks import JWKS
from tests.helpers import serving
from tests.issuer import AUDIENCE, ISSUER, Issuer, claims, make_key, sign
from tests.router import corpus
from tests.router.subgraph_kit import RequestLog, Subgraph, serve_subgraphs

ACCOUNTS = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.6",
                    import: ["@key", "@authenticated", "@requiresScopes"])

type Query {
  me: User @authenticated
  user: User
  users: [User!]!
  node: Node
  search: [SearchResult!]!
}

type Mutation {
  deleteUser(id: ID!): Boolean @requiresScopes(scopes: [["admin"]])
  ping: String
}

interface Node {
  id: ID!
}

type User implements Node @key(fields: "id") {
  id: ID!
  name: String!
  email: String @requiresScopes(scopes: [["read:email"], ["admin"]])
  phone: String! @authenticated
}

type Secret implements Node @authenticated {
  id: ID!
  code: String
}

union SearchResult = User | Secret
"""

BILLING = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@requiresScopes"])

type User @key(fields: "id") {
  id: ID!
  card: Card @requiresScopes(scopes: [["read:cards", "billing"]])
  invoices: [Invoice!]
}

type Card {
  last4: String
}

type Invoice @requiresScopes(scopes: [["billing"]]) {
  number: String!
}
"""

USERS = [
    {"id": "1", "name": "Ada", "email": "ada@example.org", "phone": "555-1"},
    {"id": "2", "name": "Grace", "email": "grace@example.org", "phone": "555-2"},
]
ACCOUNTS_DATA = {
    "Query": {
        "me": {"@ref": "User", "id": "1"},
        "user": {"@ref": "User", "id": "2"},
        "users": [{"@ref": "User", "id": "1"}, {"@ref": "User", "id": "2"}],
        "node": {"@ref": "Secret", "id": "s1"},
        "search": [{"@ref": "User", "id": "1"}, {"@ref": "Secret", "id": "s1"}],
    },
    "Mutation": {"ping": "pong"},
    "User": USERS,
    "Secret": [{"id": "s1", "code": "xyzzy"}],
}
BILLING_DATA = {
    "User": [
        {"id": "1", "card": {"last4": "4242"}, "invoices": [{"number": "A-1"}]},
        {"id": "2", "card": None, "invoices": []},
    ]
}


def delete_user(_parent: Any, info: Any, id: str) -> bool:
    info.context["state"].setdefault("deleted", []).append(id)
    return True


def subgraphs() -> list[Subgraph]:
    return [
        Subgraph("accounts", ACCOUNTS, ACCOUNTS_DATA, {"Mutation.deleteUser": delete_user}),
        Subgraph("billing", BILLING, BILLING_DATA),
    ]


def supergraph(urls: dict[str, str]) -> str:
    result = compose(
        [SubgraphSource(s.name, urls.get(s.name, f"http://{s.name}.test/graphql"), s.sdl) for s in subgraphs()]
    )
    assert result.errors == []
    assert result.supergraph is not None
    return result.supergraph


@dataclass
class Router:
    client: httpx.AsyncClient
    gateway: Gateway
    log: RequestLog
    key: RSAKey
    plans: list[str]  # the operations planned, in order

    async def ask(self, query: str, token: str | None = None) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return await self.client.post("/graphql", json={"query": query}, headers=headers)

    def token(self, **overrides: Any) -> str:
        return sign(self.key, claims(**overrides))

    def sent(self, subgraph: str) -> list[str]:
        return [r["body"]["query"] for r in self.log.requests if r["subgraph"] == subgraph]


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return make_key("k1")


@pytest.fixture
async def router(key: RSAKey) -> AsyncIterator[Router]:
    log = RequestLog()
    issuer = Issuer([key])
    tokens = TokenVerifier(
        JWKS("http://issuer.test/.well-known/jwks.json", transport=httpx.ASGITransport(app=issuer.app())),
        issuer=ISSUER,
        audience=AUDIENCE,
    )
    async with serve_subgraphs(subgraphs(), log=log) as urls:
        gateway = Gateway.from_sdl(supergraph(urls))
        plans: list[str] = []
        plan = gateway.planner.plan

        def counting(document: Any, operation: Any) -> Any:
            plans.append(operation.name.value if operation.name else "")
            return plan(document, operation)

        gateway.planner.plan = counting  # type: ignore[method-assign]
        app = Starlette(routes=[graphql_route(RouterState(load_settings({}), gateway), None, tokens)])
        async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
            yield Router(client, gateway, log, key, plans)
        await gateway.close()
        await tokens.close()


def unauthorized(*paths: list[Any]) -> list[dict[str, Any]]:
    return [
        {"message": "Unauthorized field or type", "path": path, "extensions": {"code": "UNAUTHORIZED_FIELD_OR_TYPE"}}
        for path in paths
    ]


def test_composition_carries_the_directives_into_the_supergraph() -> None:
    sdl = supergraph({})
    assert '@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)' in sdl
    assert '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)' in sdl
    assert "me: User @join__field(graph: ACCOUNTS) @authenticated" in sdl
    assert 'email: String @join__field(graph: ACCOUNTS) @requiresScopes(scopes: [["read:email"], ["admin"]])' in sdl
    assert '@join__implements(graph: ACCOUNTS, interface: "Node") @authenticated {\n  id: ID!\n  code: String' in sdl
    assert 'type Invoice @join__type(graph: BILLING) @requiresScopes(scopes: [["billing"]])' in sdl
    gateway = Gateway.from_sdl(sdl)
    types = gateway.supergraph.types
    assert types["Query"].fields["me"].authenticated
    assert types["Secret"].authenticated
    assert types["User"].fields["card"].requires_scopes == [["read:cards", "billing"]]


async def test_anonymous_gets_nulls_and_errors_and_the_subgraph_is_not_asked(router: Router) -> None:
    response = await router.ask("{ me { id name } user { id name email } }")
    assert response.status_code == 200
    assert response.json() == {
        "errors": unauthorized(["me"], ["user", "email"]),
        "data": {"me": None, "user": {"id": "2", "name": "Grace", "email": None}},
    }
    assert router.sent("accounts") == ["query{user{id name}}"]


async def test_a_user_with_the_scope_gets_everything(router: Router) -> None:
    response = await router.ask("{ me { id name } user { id email } }", router.token(scope="read:email"))
    assert response.json() == {
        "data": {"me": {"id": "1", "name": "Ada"}, "user": {"id": "2", "email": "grace@example.org"}}
    }


@pytest.mark.parametrize(("scope", "allowed"), [("", False), ("read", False), ("read:email", True), ("admin", True)])
async def test_requires_scopes_is_an_or_of_alternatives(router: Router, scope: str, allowed: bool) -> None:
    body = (await router.ask("{ user { email } }", router.token(scope=scope))).json()
    if allowed:
        assert body == {"data": {"user": {"email": "grace@example.org"}}}
    else:
        assert body == {"errors": unauthorized(["user", "email"]), "data": {"user": {"email": None}}}


@pytest.mark.parametrize(
    ("scope", "card", "invoices"),
    [
        ("read:cards billing", {"last4": "4242"}, [{"number": "A-1"}]),
        ("billing", None, [{"number": "A-1"}]),  # read:cards and billing are asked together
        ("read:cards", None, None),
        ("", None, None),
    ],
)
async def test_within_an_alternative_every_scope_is_needed(
    router: Router, scope: str, card: Any, invoices: Any
) -> None:
    body = (await router.ask("{ me { card { last4 } invoices { number } } }", router.token(scope=scope))).json()
    assert body["data"] == {"me": {"card": card, "invoices": invoices}}
    assert [e["path"] for e in body.get("errors", [])] == (
        [["me", "card"]] * (card is None) + [["me", "invoices"]] * (invoices is None)
    )


async def test_a_subgraph_with_nothing_left_to_answer_is_not_called(router: Router) -> None:
    body = (await router.ask("{ users { id card { last4 } invoices { number } } }", router.token(scope=""))).json()
    assert body["data"] == {
        "users": [{"id": "1", "card": None, "invoices": None}, {"id": "2", "card": None, "invoices": None}]
    }
    assert body["errors"] == unauthorized(
        ["users", 0, "card"], ["users", 0, "invoices"], ["users", 1, "card"], ["users", 1, "invoices"]
    )
    assert router.log.counts == {"accounts": 1}


async def test_a_denied_non_null_field_nulls_its_parent_with_one_error(router: Router) -> None:
    body = (await router.ask("{ user { id name phone } }")).json()
    assert body == {"errors": unauthorized(["user", "phone"]), "data": {"user": None}}
    # In a list of non-null items the null climbs to the nullable field above: here, all the way to data.
    # As in graphql-js, the list stops at its first null item, so the one error is that item's.
    body = (await router.ask("{ users { id phone } }")).json()
    assert body == {"errors": unauthorized(["users", 0, "phone"]), "data": None}


async def test_a_client_credentials_token_is_authenticated(router: Router) -> None:
    token = router.token(sub="partner", client_id="partner", scope="", roles=None)
    assert (await router.ask("{ user { phone } }", token)).json() == {"data": {"user": {"phone": "555-2"}}}


async def test_a_type_marked_authenticated_is_withheld_wherever_it_appears(router: Router) -> None:
    query = "{ search { __typename ... on User { id } ... on Secret { code } } node { id } }"
    body = (await router.ask(query)).json()
    assert body == {
        "errors": unauthorized(["search", 1, "code"], ["node", "id"]),
        "data": {"search": [{"__typename": "User", "id": "1"}, {"__typename": "Secret", "code": None}], "node": None},
    }
    assert "code" not in router.sent("accounts")[0]
    body = (await router.ask(query, router.token())).json()
    assert body == {
        "data": {
            "search": [{"__typename": "User", "id": "1"}, {"__typename": "Secret", "code": "xyzzy"}],
            "node": {"id": "s1"},
        }
    }


async def test_fragments_on_a_withheld_type_are_withheld(router: Router) -> None:
    query = "query Named { node { ...SecretParts } } fragment SecretParts on Secret { id code }"
    body = (await router.ask(query)).json()
    assert body == {"errors": unauthorized(["node", "id"]), "data": {"node": None}}


async def test_a_denied_mutation_field_is_not_run(router: Router) -> None:
    body = (await router.ask('mutation { deleteUser(id: "1") ping }', router.token(scope="read"))).json()
    assert body == {"errors": unauthorized(["deleteUser"]), "data": {"deleteUser": None, "ping": "pong"}}
    assert all("deleteUser" not in query for query in router.sent("accounts"))
    body = (await router.ask('mutation { deleteUser(id: "1") }', router.token(scope="admin"))).json()
    assert body == {"data": {"deleteUser": True}}


async def test_the_filtered_plan_is_made_once_per_auth_state(router: Router) -> None:
    query = "query Page { me { id email card { last4 } } }"
    for token in (None, None, router.token(scope="read"), router.token(scope="read:email")):
        await router.ask(query, token)
    # The operation as a whole, planned when first prepared; then one filtered plan for each of the
    # three auth states: anonymous; signed in; signed in with read:email (card still needs more).
    assert router.plans == ["Page"] * 4
    prepared = router.gateway.prepare(query)
    assert prepared.guards is not None
    assert len(prepared.variants) == 3
    # The same states again, and one that meets everything (the unfiltered plan): nothing new to plan.
    for token in (None, router.token(scope="other"), router.token(scope="read:email read:cards billing")):
        await router.ask(query, token)
    assert router.plans == ["Page"] * 4


async def test_operations_touching_nothing_guarded_cost_nothing_extra(router: Router) -> None:
    assert (await router.ask("{ user { id name } }")).json() == {"data": {"user": {"id": "2", "name": "Grace"}}}
    assert router.gateway.prepare("{ user { id name } }").guards is None
    # A supergraph without the directives: operations are not even looked at.
    plain = Gateway.from_sdl(corpus.fixture("bench")["supergraph"])
    assert not plain.access.enabled
    assert plain.prepare("{ me { id name } }").guards is None


async def test_the_router_refuses_a_tampered_token_before_planning(router: Router) -> None:
    header, payload, signature = router.token(scope="admin").split(".")
    tampered = f"{header}.{payload}.{signature[:-6]}AAAAAA"
    response = await router.ask("query Page { me { id } }", tampered)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert response.json() == {
        "errors": [{"message": "the access token is invalid", "extensions": {"code": "UNAUTHENTICATED"}}]
    }
    assert router.plans == []
    assert router.log.requests == []


async def test_an_expired_token_is_refused(router: Router) -> None:
    response = await router.ask("{ user { id } }", router.token(exp=1_000_000, iat=999_000))
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "the access token is expired"


async def test_the_authorization_header_is_forwarded_to_the_subgraphs(router: Router) -> None:
    token = router.token(scope="read:cards billing")
    await router.ask("{ me { id card { last4 } } }", token)
    assert {r["subgraph"] for r in router.log.requests} == {"accounts", "billing"}
    assert all(r["headers"]["authorization"] == f"Bearer {token}" for r in router.log.requests)


async def test_the_gateway_as_a_library_takes_the_viewer() -> None:
    async with serve_subgraphs(subgraphs()) as urls:
        gateway = Gateway.from_sdl(supergraph(urls))
        try:
            anonymous = await gateway.execute("{ me { id } }")
            assert anonymous.body == {"errors": unauthorized(["me"]), "data": {"me": None}}
            assert (await gateway.execute("{ me { id } }", viewer=ANONYMOUS)).body == anonymous.body
            signed_in = await gateway.execute("{ me { id } }", viewer=Viewer(user_id="1"))
            assert signed_in.body == {"data": {"me": {"id": "1"}}}
        finally:
            await gateway.close()
