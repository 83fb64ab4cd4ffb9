"""Revocation (RFC 7009) and introspection (RFC 7662): a revoked token is inactive, and only its client may ask."""

from __future__ import annotations

import pytest

from shared.resources import Resources
from tests.subgraphs.federation.oauth_kit import Browser, OAuthError, Served, authorize, serve_oauth


@pytest.fixture
async def served(resources: Resources):
    async with serve_oauth(resources) as served:
        yield served


async def test_introspection_describes_an_active_token(served: Served) -> None:
    async with Browser(served) as browser, served.web_client(scope="openid read") as client:
        token = await authorize(served, browser, client)
        seen = await client.introspect_token(served.metadata["introspection_endpoint"], token=token["access_token"])
    body = seen.json()
    assert body["active"] is True
    assert body["client_id"] == "web"
    assert body["sub"] == await served.user_id("ada")
    assert body["username"] == "ada"
    assert body["scope"] == "openid read"
    assert body["token_type"] == "Bearer"
    assert body["iss"] == served.url
    assert body["aud"] == f"{served.url}/graphql"
    assert body["exp"] > body["iat"]


@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
async def test_revoking_either_token_revokes_the_grant(served: Served, which: str) -> None:
    async with Browser(served) as browser, served.web_client() as client:
        token = await authorize(served, browser, client)
        revoked = await client.revoke_token(served.metadata["revocation_endpoint"], token=token[which])
        assert revoked.status_code == 200
        for kind in ("access_token", "refresh_token"):
            seen = await client.introspect_token(served.metadata["introspection_endpoint"], token=token[kind])
            assert seen.json() == {"active": False}
        with pytest.raises(OAuthError) as refresh:
            await client.refresh_token(served.metadata["token_endpoint"], refresh_token=token["refresh_token"])
        assert refresh.value.error == "invalid_grant"
        info = await client.get(served.metadata["userinfo_endpoint"])
        assert info.status_code == 401
        assert info.json()["error"] == "invalid_token"
        assert "invalid_token" in info.headers["www-authenticate"]


async def test_unknown_tokens_are_inactive_and_revoking_them_is_fine(served: Served) -> None:
    async with Browser(served) as browser:
        for token in ("not-a-token", "a.b.c"):
            seen = await browser.http.post(
                served.metadata["introspection_endpoint"], data={"token": token, "client_id": "web"}
            )
            assert seen.json() == {"active": False}
            gone = await browser.http.post(
                served.metadata["revocation_endpoint"], data={"token": token, "client_id": "web"}
            )
            assert gone.status_code == 200


async def test_a_client_cannot_introspect_or_revoke_another_clients_token(served: Served) -> None:
    partner_id, secret = await served.register_partner(name="Nosy", grantTypes=["CLIENT_CREDENTIALS"], scopes=["READ"])
    async with Browser(served) as browser, served.web_client() as client:
        token = await authorize(served, browser, client)
        seen = await browser.http.post(
            served.metadata["introspection_endpoint"], data={"token": token["access_token"]}, auth=(partner_id, secret)
        )
        assert seen.json() == {"active": False}
        refused = await browser.http.post(
            served.metadata["revocation_endpoint"], data={"token": token["access_token"]}, auth=(partner_id, secret)
        )
        assert refused.status_code == 400
        still = await client.introspect_token(served.metadata["introspection_endpoint"], token=token["access_token"])
        assert still.json()["active"] is True


async def test_introspection_needs_a_client(served: Served) -> None:
    async with Browser(served) as browser:
        response = await browser.http.post(served.metadata["introspection_endpoint"], data={"token": "x"})
    assert response.status_code in (400, 401)
    assert response.json()["error"] == "invalid_client"
