"""Client credentials for partners: their secret, their scopes, nothing about users."""

from __future__ import annotations

import httpx
import pytest

from shared.resources import Resources
from subgraphs.federation.schema import schema
from tests.subgraphs.federation.oauth_kit import AsyncOAuth2Client, OAuthError, Served, serve_oauth, verified
from tests.subgraphs.graphql import execute


@pytest.fixture
async def served(resources: Resources):
    async with serve_oauth(resources) as served:
        yield served


def partner(client_id: str, secret: str, method: str = "client_secret_basic") -> AsyncOAuth2Client:
    return AsyncOAuth2Client(client_id=client_id, client_secret=secret, token_endpoint_auth_method=method)


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
async def test_a_partner_gets_a_token_for_itself_with_its_scopes(served: Served, method: str) -> None:
    client_id, secret = await served.register_partner(
        name="Stock feed", grantTypes=["CLIENT_CREDENTIALS"], scopes=["READ", "WRITE"]
    )
    async with partner(client_id, secret, method) as client:
        token = await client.fetch_token(
            served.metadata["token_endpoint"], grant_type="client_credentials", scope="read"
        )
        everything = await client.fetch_token(served.metadata["token_endpoint"], grant_type="client_credentials")
    assert token["scope"] == "read"
    assert "refresh_token" not in token
    claims = await verified(served, token["access_token"], f"{served.url}/graphql", "at+jwt")
    # sub equal to client_id is how a verifier knows no user is involved.
    assert claims["sub"] == claims["client_id"] == client_id
    assert set(claims) == {"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"}
    assert everything["scope"] == "read write"


async def test_a_scope_not_granted_or_about_users_is_refused(served: Served) -> None:
    client_id, secret = await served.register_partner(name="Reader", grantTypes=["CLIENT_CREDENTIALS"], scopes=["READ"])
    async with partner(client_id, secret) as client:
        for scope in ("write", "read write", "openid", "admin"):
            with pytest.raises(OAuthError) as refused:
                await client.fetch_token(
                    served.metadata["token_endpoint"], grant_type="client_credentials", scope=scope
                )
            assert refused.value.error == "invalid_scope", scope


async def test_a_wrong_secret_or_unknown_client_is_invalid_client(served: Served) -> None:
    client_id, secret = await served.register_partner(name="Reader", grantTypes=["CLIENT_CREDENTIALS"], scopes=["READ"])
    for who, what in ((client_id, secret + "x"), (client_id, ""), ("nobody", secret)):
        async with httpx.AsyncClient() as client:
            response = await client.post(
                served.metadata["token_endpoint"], data={"grant_type": "client_credentials"}, auth=(who, what)
            )
        assert response.status_code == 401, (who, what)
        assert response.json()["error"] == "invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic")


async def test_public_clients_and_partners_without_the_grant_cannot_use_it(served: Served) -> None:
    client_id, secret = await served.register_partner(
        name="Login only", grantTypes=["AUTHORIZATION_CODE"], scopes=["READ"], redirectUris=["https://l.example/cb"]
    )
    async with partner(client_id, secret) as client, httpx.AsyncClient() as http:
        with pytest.raises(OAuthError) as partner_refused:
            await client.fetch_token(served.metadata["token_endpoint"], grant_type="client_credentials")
        web = await http.post(
            served.metadata["token_endpoint"], data={"grant_type": "client_credentials", "client_id": "web"}
        )
    assert partner_refused.value.error == "unauthorized_client"
    assert web.json()["error"] == "invalid_client"


async def test_implicit_and_password_grants_do_not_exist(served: Served) -> None:
    client_id, secret = await served.register_partner(name="Old", grantTypes=["CLIENT_CREDENTIALS"], scopes=["READ"])
    async with httpx.AsyncClient() as client:
        password = await client.post(
            served.metadata["token_endpoint"],
            data={"grant_type": "password", "username": "ada", "password": "roseash-demo"},
            auth=(client_id, secret),
        )
        implicit = await client.get(
            served.metadata["authorization_endpoint"],
            params={"response_type": "token", "client_id": "web", "redirect_uri": f"{served.url}/auth/callback"},
        )
    assert password.json()["error"] == "unsupported_grant_type"
    assert implicit.status_code == 302
    assert "error=unsupported_response_type" in implicit.headers["location"]


async def test_a_rotated_secret_replaces_the_old_and_a_revoked_client_is_gone(served: Served) -> None:
    client_id, secret = await served.register_partner(name="Feed", grantTypes=["CLIENT_CREDENTIALS"], scopes=["READ"])
    async with partner(client_id, secret) as client:
        token = await client.fetch_token(served.metadata["token_endpoint"], grant_type="client_credentials")
    admin = await served.admin()
    rotated = await execute(
        schema,
        served.resources,
        "mutation($id: ID!) { rotateOAuthClientSecret(clientId: $id) { clientSecret } }",
        admin,
        id=client_id,
    )
    new_secret = rotated["data"]["rotateOAuthClientSecret"]["clientSecret"]
    async with partner(client_id, secret) as old, partner(client_id, new_secret) as new:
        with pytest.raises(OAuthError):
            await old.fetch_token(served.metadata["token_endpoint"], grant_type="client_credentials")
        await new.fetch_token(served.metadata["token_endpoint"], grant_type="client_credentials")
        await execute(
            schema,
            served.resources,
            "mutation($id: ID!) { revokeOAuthClient(clientId: $id) { revokedAt } }",
            admin,
            id=client_id,
        )
        with pytest.raises(OAuthError) as gone:
            await new.fetch_token(served.metadata["token_endpoint"], grant_type="client_credentials")
        assert gone.value.error == "invalid_client"
        seen = await new.post(
            served.metadata["introspection_endpoint"],
            data={"token": token["access_token"]},
            auth=(client_id, new_secret),
        )
    assert seen.json()["error"] == "invalid_client"
