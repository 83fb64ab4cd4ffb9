"""Partner clients through GraphQL: admins only, the secret shown once and stored hashed, registrations checked."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from shared.auth import ANONYMOUS, Viewer
from shared.resources import Resources
from subgraphs.federation.oauth_models import OAuthClient
from subgraphs.federation.schema import schema
from tests.subgraphs.graphql import admin, editor, execute, member

REGISTER = """mutation($input: RegisterOAuthClientInput!) {
  registerOAuthClient(input: $input) {
    clientSecret
    client { clientId name redirectUris postLogoutRedirectUris grantTypes scopes revokedAt }
  }
}"""
ROTATE = "mutation($id: ID!) { rotateOAuthClientSecret(clientId: $id) { clientSecret client { clientId } } }"
REVOKE = "mutation($id: ID!) { revokeOAuthClient(clientId: $id) { clientId revokedAt } }"
LIST = "{ oauthClients { edges { node { clientId name } } } }"

PARTNER = {
    "name": "Acme Bookings",
    "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN", "CLIENT_CREDENTIALS"],
    "scopes": ["OPENID", "READ"],
    "redirectUris": ["https://acme.example/callback", "http://127.0.0.1:8765/callback"],
    "postLogoutRedirectUris": ["https://acme.example/"],
}


@pytest.fixture
def run(resources: Resources):
    async def run(query: str, viewer: Viewer = ANONYMOUS, **variables: Any) -> dict[str, Any]:
        return await execute(schema, resources, query, viewer, **variables)

    return run


async def test_admins_register_partners_and_see_the_secret_once(run, resources: Resources) -> None:
    body = await run(REGISTER, admin("a1"), input=PARTNER)
    created = body["data"]["registerOAuthClient"]
    secret, client = created["clientSecret"], created["client"]
    assert len(secret) >= 40
    assert client["name"] == "Acme Bookings"
    assert client["grantTypes"] == ["AUTHORIZATION_CODE", "REFRESH_TOKEN", "CLIENT_CREDENTIALS"]
    assert client["scopes"] == ["OPENID", "READ"]
    assert client["redirectUris"] == PARTNER["redirectUris"]
    assert client["revokedAt"] is None
    async with resources.sessions() as session:
        row = await session.get(OAuthClient, client["clientId"])
    assert row is not None
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (row.secret_hash, row.client_id)
    listed = await run(LIST, admin("a1"))
    assert listed["data"]["oauthClients"]["edges"] == [
        {"node": {"clientId": client["clientId"], "name": "Acme Bookings"}}
    ]
    # The listing has no secret to show: the type has no such field.
    [error] = (await run("{ oauthClients { edges { node { clientSecret } } } }", admin("a1")))["errors"]
    assert error["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize(
    ("viewer", "code"),
    [(ANONYMOUS, "UNAUTHENTICATED"), (member("m1"), "FORBIDDEN"), (editor("e1"), "FORBIDDEN")],
    ids=["anonymous", "member", "editor"],
)
async def test_only_admins_manage_clients(run, viewer: Viewer, code: str) -> None:
    client_id = (await run(REGISTER, admin("a1"), input=PARTNER))["data"]["registerOAuthClient"]["client"]["clientId"]
    for query, variables in ((REGISTER, {"input": PARTNER}), (ROTATE, {"id": client_id}), (REVOKE, {"id": client_id})):
        [error] = (await run(query, viewer, **variables))["errors"]
        assert error["code"] == code
    [error] = (await run(LIST, viewer))["errors"]
    assert error["code"] == code


async def test_rotating_gives_a_new_secret_and_revoking_is_final(run, resources: Resources) -> None:
    created = (await run(REGISTER, admin("a1"), input=PARTNER))["data"]["registerOAuthClient"]
    client_id = created["client"]["clientId"]
    rotated = (await run(ROTATE, admin("a1"), id=client_id))["data"]["rotateOAuthClientSecret"]
    assert rotated["clientSecret"] != created["clientSecret"]
    revoked = (await run(REVOKE, admin("a1"), id=client_id))["data"]["revokeOAuthClient"]
    assert revoked["revokedAt"] is not None
    for query in (ROTATE, REVOKE):
        assert (await run(query, admin("a1"), id=client_id))["errors"][0]["code"] == "CONFLICT"
    assert (await run(ROTATE, admin("a1"), id="nobody"))["errors"][0]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"grantTypes": []}, "grantTypes", "at least one grant type"),
        ({"grantTypes": ["REFRESH_TOKEN", "CLIENT_CREDENTIALS"]}, "grantTypes", "goes with authorization_code"),
        ({"scopes": []}, "scopes", "at least one scope"),
        ({"grantTypes": ["CLIENT_CREDENTIALS"], "scopes": ["OPENID", "READ"]}, "scopes", "need a user"),
        ({"redirectUris": []}, "redirectUris", "needs a redirect URI"),
        ({"redirectUris": ["http://acme.example/cb"]}, "redirectUris", "must use https"),
        ({"redirectUris": ["https://acme.example/cb#top"]}, "redirectUris", "#fragment"),
        ({"redirectUris": ["javascript:alert(1)"]}, "redirectUris", "http(s) URL"),
        ({"postLogoutRedirectUris": ["ftp://acme.example/"]}, "postLogoutRedirectUris", "http(s) URL"),
        ({"name": "  "}, "name", "client name"),
    ],
)
async def test_registrations_are_checked_field_by_field(run, change: dict, field: str, fragment: str) -> None:
    [error] = (await run(REGISTER, admin("a1"), input={**PARTNER, **change}))["errors"]
    assert error["code"] == "BAD_USER_INPUT"
    assert error["field"] == field
    assert fragment in error["message"]
    assert (await run(LIST, admin("a1")))["data"]["oauthClients"]["edges"] == []
