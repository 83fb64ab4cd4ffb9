"""The subgraph app factory, served over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import httpx
import pytest
import strawberry
from joserfc.jwk import RSAKey
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.app import create_subgraph_app
from shared.config import load_settings
from shared.context import Context
from shared.errors import BadUserInput
from shared.graphql import federation_schema
from shared.resources import Resources
from tests.helpers import serving
from tests.issuer import Issuer, claims, make_key, sign

metadata = MetaData()
notes = Table("test_notes", metadata, Column("id", Integer, primary_key=True), Column("text", String(50)))


async def load_notes(context: Context, ids: Sequence[int]) -> list[Note | None]:
    rows = (await context.session.execute(select(notes).where(notes.c.id.in_(ids)))).all()
    found = {row.id: Note(id=strawberry.ID(str(row.id)), text=row.text) for row in rows}
    return [found.get(i) for i in ids]


@strawberry.federation.type(keys=["id"])
class Note:
    id: strawberry.ID
    text: str

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info[Context, None], id: strawberry.ID) -> Note | None:
        context = info.context
        loader = context.loader("notes", lambda ids: load_notes(context, ids))
        return await loader.load(int(id))


@strawberry.type
class Query:
    @strawberry.field
    async def notes(self, info: strawberry.Info[Context, None]) -> list[Note]:
        rows = (await info.context.session.execute(select(notes).order_by(notes.c.id))).all()
        return [Note(id=strawberry.ID(str(r.id)), text=r.text) for r in rows]

    @strawberry.field
    def crash(self) -> int:
        raise RuntimeError("SELECT secret FROM passwords")

    @strawberry.field
    def request_id(self, info: strawberry.Info[Context, None]) -> str:
        return info.context.request_id

    @strawberry.field
    def whoami(self, info: strawberry.Info[Context, None]) -> list[str]:
        viewer = info.context.viewer
        return [
            viewer.user_id or "-",
            viewer.client_id or "-",
            " ".join(sorted(viewer.roles)),
            " ".join(sorted(viewer.scopes)),
        ]


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def add_notes(self, info: strawberry.Info[Context, None], texts: list[str]) -> int:
        async with info.context.transaction() as session:
            for number, text in enumerate(texts, start=100):
                if not text:
                    # Raised after earlier rows were written: all of them must go.
                    raise BadUserInput("text must not be empty", field="texts")
                await session.execute(insert(notes).values(id=number, text=text))
        return len(texts)


schema = federation_schema(Query, Mutation, types=[Note])


async def exploding_route(request: Request) -> JSONResponse:
    raise ValueError("connection string postgres://secret")


@pytest.fixture
async def client(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    async with resources.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.execute(insert(notes), [{"id": i, "text": f"note {i}"} for i in range(1, 51)])
    app = create_subgraph_app("test", schema, resources, routes=[Route("/explode", exploding_route)])
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as http:
        yield http


async def gql(client: httpx.AsyncClient, query: str, variables: dict | None = None) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables or {}})


async def test_serves_a_query_over_post_and_get(client: httpx.AsyncClient) -> None:
    posted = await gql(client, "{ notes { id text } }")
    assert posted.status_code == 200
    assert posted.json()["data"]["notes"][0] == {"id": "1", "text": "note 1"}
    got = await client.get("/graphql", params={"query": "{ notes { id } }"})
    assert got.status_code == 200
    assert len(got.json()["data"]["notes"]) == 50


async def test_get_refuses_mutations(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": 'mutation { addNotes(texts: ["x"]) }'})
    assert response.status_code == 405


async def test_publishes_its_federation_sdl(client: httpx.AsyncClient) -> None:
    sdl = (await gql(client, "{ _service { sdl } }")).json()["data"]["_service"]["sdl"]
    assert '@link(url: "https://specs.apollo.dev/federation/v2.11"' in sdl
    assert 'type Note @key(fields: "id")' in sdl


async def test_entities_batch_into_one_query(client: httpx.AsyncClient, resources: Resources) -> None:
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(resources.engine.sync_engine, "before_cursor_execute", record)
    representations = [{"__typename": "Note", "id": str(i)} for i in [*range(1, 51), 999]]
    response = await gql(
        client,
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Note { id text } } }",
        {"r": representations},
    )
    event.remove(resources.engine.sync_engine, "before_cursor_execute", record)
    entities = response.json()["data"]["_entities"]
    assert entities[49] == {"id": "50", "text": "note 50"}
    assert entities[50] is None
    assert len([s for s in statements if "test_notes" in s]) == 1


async def test_unexpected_exception_is_masked_with_a_request_id(client: httpx.AsyncClient) -> None:
    response = await gql(client, "{ crash notes { id } }")
    assert response.status_code == 200
    body = response.json()
    assert "secret" not in response.text
    assert "passwords" not in response.text
    assert body["data"] is None  # crash is non-null, so the whole data goes null
    [error] = body["errors"]
    assert error["message"] == "Internal server error"
    assert error["path"] == ["crash"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]


async def test_request_id_is_taken_from_the_caller_when_plain(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ requestId }"}, headers={"X-Request-ID": "router-abc123"})
    assert response.headers["x-request-id"] == "router-abc123"
    assert response.json()["data"]["requestId"] == "router-abc123"
    forged = await client.post(
        "/graphql", json={"query": "{ requestId }"}, headers={"X-Request-ID": "has spaces; and {json}"}
    )
    assert forged.headers["x-request-id"] != "has spaces; and {json}"


async def test_validation_and_parse_errors_carry_codes(client: httpx.AsyncClient) -> None:
    invalid = (await gql(client, "{ nope }")).json()
    assert invalid["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    unparsable = (await gql(client, "{ notes {")).json()
    assert unparsable["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_mutation_commits_whole_or_not_at_all(client: httpx.AsyncClient, resources: Resources) -> None:
    add = "mutation($t: [String!]!) { addNotes(texts: $t) }"
    failed = (await gql(client, add, {"t": ["a", "b", ""]})).json()
    assert failed["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "texts",
        "requestId": failed["errors"][0]["extensions"]["requestId"],
    }
    assert failed["errors"][0]["message"] == "text must not be empty"
    async with resources.sessions() as session:
        assert (await session.execute(select(notes).where(notes.c.id >= 100))).all() == []
    assert (await gql(client, add, {"t": ["a", "b"]})).json()["data"] == {"addNotes": 2}
    async with resources.sessions() as session:
        assert len((await session.execute(select(notes).where(notes.c.id >= 100))).all()) == 2


async def test_crash_in_a_plain_route_is_a_problem_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/explode")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 500
    assert body["code"] == "INTERNAL_SERVER_ERROR"
    assert body["requestId"] == response.headers["x-request-id"]
    assert "secret" not in response.text


async def test_unknown_route_is_a_problem_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    health = await client.get("/health")
    assert health.json() == {"status": "ok", "service": "test"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "cache": "ok"}


async def test_ready_is_503_when_the_database_is_gone() -> None:
    broken = Resources.open(load_settings({"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}))
    try:
        async with serving(create_subgraph_app("test", schema, broken)) as url, httpx.AsyncClient() as http:
            response = await http.get(f"{url}/ready")
    finally:
        await broken.close()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["checks"] == {"database": "unavailable", "cache": "ok"}


def test_factory_refuses_a_schema_without_the_error_policy(resources: Resources) -> None:
    bare = strawberry.federation.Schema(query=Query)
    with pytest.raises(TypeError, match="federation_schema"):
        create_subgraph_app("bare", bare, resources)


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return make_key("k1")


@pytest.fixture
def issuer(resources: Resources, key: RSAKey) -> Issuer:
    """The issuer whose JWKS the subgraph fetches (in process) at the configured OAUTH_JWKS_URL."""
    stand_in = Issuer([key])
    resources.tokens.keys.use_transport(httpx.ASGITransport(app=stand_in.app()))
    return stand_in


def token_for(resources: Resources, key: RSAKey, **overrides: object) -> str:
    ours = {"iss": resources.settings.oauth_issuer, "aud": resources.settings.oauth_audience}
    return sign(key, claims(**{**ours, **overrides}))


async def test_without_a_token_the_viewer_is_anonymous(client: httpx.AsyncClient, issuer: Issuer) -> None:
    response = await gql(client, "{ whoami }")
    assert response.json() == {"data": {"whoami": ["-", "-", "", ""]}}
    assert issuer.fetches == 0  # nothing to verify, nothing fetched


async def test_a_good_token_makes_the_viewer(client: httpx.AsyncClient, resources: Resources, issuer, key) -> None:
    headers = {"authorization": f"Bearer {token_for(resources, key)}"}
    response = await client.post("/graphql", json={"query": "{ whoami }"}, headers=headers)
    assert response.json() == {"data": {"whoami": ["user-1", "web", "editor member", "read write:posts"]}}
    partner = token_for(resources, key, sub="partner", client_id="partner", scope="read", roles=None)
    got = await client.get("/graphql", params={"query": "{ whoami }"}, headers={"authorization": f"Bearer {partner}"})
    assert got.json() == {"data": {"whoami": ["-", "partner", "", "read"]}}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"exp": 1_000_000}, "the access token is expired"),
        ({"aud": "https://elsewhere.test/graphql"}, "the access token is invalid"),
        ({"iss": "https://elsewhere.test"}, "the access token is invalid"),
    ],
)
async def test_a_bad_token_is_refused_with_401_before_anything_runs(
    client: httpx.AsyncClient, resources: Resources, issuer, key, overrides: dict, message: str
) -> None:
    headers = {"authorization": f"Bearer {token_for(resources, key, **overrides)}"}
    response = await client.post("/graphql", json={"query": 'mutation { addNotes(texts: ["x"]) }'}, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == f'Bearer error="invalid_token", error_description="{message}"'
    assert response.json() == {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}
    async with resources.sessions() as session:
        assert (await session.execute(select(notes).where(notes.c.id >= 100))).all() == []


async def test_a_tampered_token_is_refused(client: httpx.AsyncClient, resources: Resources, issuer, key) -> None:
    header, payload, signature = token_for(resources, key).split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    response = await client.post(
        "/graphql", json={"query": "{ whoami }"}, headers={"authorization": f"Bearer {tampered}"}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_token_that_cannot_be_checked_is_503(client: httpx.AsyncClient, resources: Resources, key) -> None:
    async def broken(scope, receive, send) -> None:  # the issuer is failing
        await Response("down", status_code=502)(scope, receive, send)

    resources.tokens.keys.use_transport(httpx.ASGITransport(app=broken))
    headers = {"authorization": f"Bearer {token_for(resources, key)}"}
    response = await client.post("/graphql", json={"query": "{ whoami }"}, headers=headers)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
