"""Refresh tokens rotate on every use, and a spent one presented again revokes its whole family."""

from __future__ import annotations

import pytest

from shared.resources import Resources
from tests.subgraphs.federation.oauth_kit import Browser, OAuthError, Served, authorize, serve_oauth


@pytest.fixture
async def served(resources: Resources):
    async with serve_oauth(resources) as served:
        yield served


async def introspect(browser: Browser, served: Served, token: str) -> dict:
    response = await browser.http.post(
        served.metadata["introspection_endpoint"], data={"token": token, "client_id": "web"}
    )
    assert response.status_code == 200
    return response.json()


async def test_each_refresh_gives_a_new_refresh_token_and_spends_the_old(served: Served) -> None:
    token_url = served.metadata["token_endpoint"]
    async with Browser(served) as browser, served.web_client() as client:
        first = await authorize(served, browser, client)
        second = await client.refresh_token(token_url, refresh_token=first["refresh_token"])
        third = await client.refresh_token(token_url, refresh_token=second["refresh_token"])
        assert len({first["refresh_token"], second["refresh_token"], third["refresh_token"]}) == 3
        assert (await introspect(browser, served, first["refresh_token"]))["active"] is False
        assert (await introspect(browser, served, third["refresh_token"]))["active"] is True


async def test_reusing_a_spent_refresh_token_revokes_the_whole_family(served: Served) -> None:
    token_url = served.metadata["token_endpoint"]
    async with Browser(served) as browser, served.web_client() as client:
        first = await authorize(served, browser, client)
        second = await client.refresh_token(token_url, refresh_token=first["refresh_token"])
        # Someone replays the first refresh token (stolen, say): refused...
        with pytest.raises(OAuthError) as replay:
            await client.refresh_token(token_url, refresh_token=first["refresh_token"])
        assert replay.value.error == "invalid_grant"
        # ...and everything descended from that sign-in is revoked, the legitimate holder's tokens too.
        with pytest.raises(OAuthError) as legitimate:
            await client.refresh_token(token_url, refresh_token=second["refresh_token"])
        assert legitimate.value.error == "invalid_grant"
        for token in (first["access_token"], second["access_token"], second["refresh_token"]):
            assert (await introspect(browser, served, token))["active"] is False
        # Another sign-in is another family, and unaffected.
        fresh = await authorize(served, browser, client)
        assert (await introspect(browser, served, fresh["access_token"]))["active"] is True


async def test_a_refresh_token_works_only_for_its_own_client(served: Served) -> None:
    partner_id, secret = await served.register_partner(
        name="Other",
        grantTypes=["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
        scopes=["READ"],
        redirectUris=["https://o.example/cb"],
    )
    async with Browser(served) as browser, served.web_client() as client:
        token = await authorize(served, browser, client)
        response = await browser.http.post(
            served.metadata["token_endpoint"],
            data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
            auth=(partner_id, secret),
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
        # Not a reuse: the web app's token still works.
        await client.refresh_token(served.metadata["token_endpoint"], refresh_token=token["refresh_token"])


async def test_a_refresh_may_narrow_the_scope_but_not_widen_it(served: Served) -> None:
    token_url = served.metadata["token_endpoint"]
    async with Browser(served) as browser, served.web_client(scope="openid read") as client:
        token = await authorize(served, browser, client)
        narrower = await client.refresh_token(token_url, refresh_token=token["refresh_token"], scope="read")
        assert narrower["scope"] == "read"
        with pytest.raises(OAuthError) as wider:
            await client.refresh_token(token_url, refresh_token=narrower["refresh_token"], scope="read write")
    assert wider.value.error == "invalid_scope"
