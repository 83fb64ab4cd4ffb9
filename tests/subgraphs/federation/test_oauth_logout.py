"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the session ends, tokens tied to it too."""

from __future__ import annotations

import pytest

from shared.resources import Resources
from tests.subgraphs.federation.oauth_kit import Browser, OAuthError, Served, authorize, form, serve_oauth


@pytest.fixture
async def served(resources: Resources):
    async with serve_oauth(resources) as served:
        yield served


async def signed_in_twice(served: Served, browser: Browser) -> tuple[dict, dict]:
    """Two grants from one sign-in: one tied to it, one with offline_access."""
    async with served.web_client(scope="openid read") as client:
        online = await authorize(served, browser, client)
    async with served.web_client(scope="openid offline_access read") as client:
        offline = await authorize(served, browser, client)
    return online, offline


async def still_refreshes(served: Served, token: dict) -> bool:
    async with served.web_client(scope=token["scope"]) as client:
        try:
            await client.refresh_token(served.metadata["token_endpoint"], refresh_token=token["refresh_token"])
        except OAuthError:
            return False
    return True


async def test_logout_with_an_id_token_ends_the_session_and_goes_back_with_the_state(served: Served) -> None:
    async with Browser(served) as browser:
        online, offline = await signed_in_twice(served, browser)
        response = await browser.http.get(
            served.metadata["end_session_endpoint"],
            params={
                "id_token_hint": online["id_token"],
                "post_logout_redirect_uri": f"{served.url}/",
                "state": "bye-1",
                "client_id": "web",
            },
        )
        assert response.status_code == 302
        assert response.headers["location"] == f"{served.url}/?state=bye-1"
        assert "roseash_sso" not in browser.http.cookies
        # The next authorization asks for a password again.
        async with served.web_client() as client:
            url, _ = client.create_authorization_url(served.metadata["authorization_endpoint"], code_verifier="c" * 43)
        assert (await browser.http.get(url)).status_code == 200
    assert not await still_refreshes(served, online)
    assert await still_refreshes(served, offline)  # offline_access outlives the sign-in, as OpenID Connect says


async def test_an_unregistered_post_logout_uri_is_not_followed(served: Served) -> None:
    async with Browser(served) as browser:
        online, _ = await signed_in_twice(served, browser)
        response = await browser.http.get(
            served.metadata["end_session_endpoint"],
            params={"id_token_hint": online["id_token"], "post_logout_redirect_uri": "https://evil.example/"},
        )
    assert response.status_code == 200
    assert "You are signed out" in response.text
    assert not await still_refreshes(served, online)


async def test_without_an_id_token_the_user_confirms_first(served: Served) -> None:
    async with Browser(served) as browser:
        online, _ = await signed_in_twice(served, browser)
        asked = await browser.http.get(
            served.metadata["end_session_endpoint"], params={"post_logout_redirect_uri": f"{served.url}/"}
        )
        assert asked.status_code == 200
        assert "Sign out of Rose Ash?" in asked.text
        assert await still_refreshes(served, online)  # nothing happened yet
        action, fields = form(asked)
        forged = await browser.http.post(action, data={"confirm": "yes"})
        assert forged.status_code == 403
        confirmed = await browser.submit(asked, confirm="yes")
        assert confirmed.status_code == 200  # no redirect: without an ID token the URI cannot be trusted
        assert "You are signed out" in confirmed.text
        assert fields["post_logout_redirect_uri"] == f"{served.url}/"
    assert not await still_refreshes(served, online)


@pytest.mark.parametrize("problem", ["forged hint", "other client"])
async def test_a_bad_logout_request_is_refused_without_redirecting(served: Served, problem: str) -> None:
    async with Browser(served) as browser:
        online, _ = await signed_in_twice(served, browser)
        params = {"id_token_hint": online["id_token"], "post_logout_redirect_uri": f"{served.url}/"}
        if problem == "forged hint":
            header, payload, signature = online["id_token"].split(".")
            params["id_token_hint"] = f"{header}.{payload}.{signature[::-1]}"
        else:
            params["client_id"] = "someone-else"
        response = await browser.http.get(served.metadata["end_session_endpoint"], params=params)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.json()["error"] == "invalid_request"
    assert await still_refreshes(served, online)
