"""Discovery (OpenID Connect, RFC 8414), the JWKS, signing key rotation, and our tokens in the platform's verifier."""

from __future__ import annotations

from datetime import timedelta

import httpx
import jwt
import pytest
from authlib.oauth2 import rfc9207
from authlib.oidc import rpinitiated
from authlib.oidc.discovery import OpenIDProviderMetadata
from sqlalchemy import update

from shared.auth import TokenVerifier
from shared.db import utcnow
from shared.jwks import JWKS
from shared.resources import Resources
from subgraphs.federation import signing_keys
from subgraphs.federation.oauth_models import SigningKey
from subgraphs.federation.oauth_policy import RETIRED_KEY_PUBLISHED
from tests.subgraphs.federation.oauth_kit import AsyncOAuth2Client, Browser, Served, authorize, serve_oauth, verified


@pytest.fixture
async def served(resources: Resources):
    async with serve_oauth(resources) as served:
        yield served


async def test_both_well_known_documents_describe_the_server(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url) as http:
        openid = await http.get("/.well-known/openid-configuration")
        oauth = await http.get("/.well-known/oauth-authorization-server")
    assert openid.json() == oauth.json() == served.metadata
    assert openid.headers["content-type"] == "application/json"
    metadata = OpenIDProviderMetadata(served.metadata)
    metadata.validate(metadata_classes=[rpinitiated.OpenIDProviderMetadata, rfc9207.AuthorizationServerMetadata])
    assert metadata["issuer"] == served.url
    assert metadata["authorization_endpoint"] == f"{served.url}/oauth/authorize"
    assert metadata["token_endpoint"] == f"{served.url}/oauth/token"
    assert metadata["end_session_endpoint"] == f"{served.url}/oauth/logout"
    assert metadata["jwks_uri"] == f"{served.url}/.well-known/jwks.json"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["response_types_supported"] == ["code"]
    assert set(metadata["grant_types_supported"]) == {"authorization_code", "refresh_token", "client_credentials"}
    assert metadata["scopes_supported"] == ["openid", "profile", "email", "offline_access", "read", "write"]


async def test_the_jwks_publishes_public_keys_only(served: Served) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(served.metadata["jwks_uri"])
    [key] = response.json()["keys"]
    assert key["kty"] == "RSA"
    assert key["alg"] == "RS256"
    assert key["use"] == "sig"
    assert key["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    assert "max-age" in response.headers["cache-control"]


async def client_token(served: Served) -> str:
    client_id, secret = await served.register_partner(name="Feed", grantTypes=["CLIENT_CREDENTIALS"], scopes=["READ"])
    async with AsyncOAuth2Client(client_id=client_id, client_secret=secret) as client:
        token = await client.fetch_token(served.metadata["token_endpoint"], grant_type="client_credentials")
    return token["access_token"]


async def published_kids(served: Served) -> list[str]:
    async with httpx.AsyncClient() as http:
        return [key["kid"] for key in (await http.get(served.metadata["jwks_uri"])).json()["keys"]]


async def test_a_rotated_key_stays_published_until_its_tokens_expire(served: Served) -> None:
    audience = f"{served.url}/graphql"
    before = await client_token(served)
    [old_kid] = await published_kids(served)
    async with served.resources.sessions() as session, session.begin():
        rotation = await session.run_sync(signing_keys.rotate)
    assert rotation.retired == [old_kid]
    assert await published_kids(served) == [rotation.kid, old_kid]
    # Tokens signed before the rotation still verify; new ones are signed with the new key.
    assert (await verified(served, before, audience, "at+jwt"))["scope"] == "read"
    after = await client_token(served)
    assert jwt.get_unverified_header(after)["kid"] == rotation.kid
    assert jwt.get_unverified_header(before)["kid"] == old_kid
    # Once every token the old key signed has expired, it is no longer published, and the next rotation deletes it.
    async with served.resources.sessions() as session, session.begin():
        await session.execute(
            update(SigningKey)
            .where(SigningKey.kid == old_kid)
            .values(retired_at=utcnow() - RETIRED_KEY_PUBLISHED - timedelta(seconds=1))
        )
    assert await published_kids(served) == [rotation.kid]
    async with served.resources.sessions() as session, session.begin():
        again = await session.run_sync(signing_keys.rotate)
        assert await session.get(SigningKey, old_kid) is None
    assert again.retired == [rotation.kid]


async def test_the_platforms_verifier_accepts_our_tokens(served: Served) -> None:
    """shared.auth, which the router and every subgraph use, reads our tokens as the contract says."""
    verifier = TokenVerifier(JWKS(served.metadata["jwks_uri"]), issuer=served.url, audience=f"{served.url}/graphql")
    try:
        machine = await verifier.verify(await client_token(served))
        assert machine.user_id is None
        assert machine.client_id is not None
        assert machine.scopes == {"read"}
        async with Browser(served) as browser, served.web_client(scope="openid read write") as client:
            token = await authorize(served, browser, client)
        person = await verifier.verify(token["access_token"])
        assert person.user_id == await served.user_id("ada")
        assert person.roles == {"member", "editor", "admin"}
        assert person.scopes == {"openid", "read", "write"}
        assert person.client_id == "web"
    finally:
        await verifier.close()
