"""The authorization code flow with PKCE, driven by an independent OAuth client and a browser made of httpx."""

from __future__ import annotations

import base64
import hashlib
import secrets

import httpx
import pytest

from shared.resources import Resources
from tests.subgraphs.federation.oauth_kit import (
    Browser,
    OAuthError,
    Served,
    authorize,
    redirect_params,
    serve_oauth,
    verified,
)


@pytest.fixture
async def served(resources: Resources):
    async with serve_oauth(resources) as served:
        yield served


async def test_code_flow_gives_tokens_userinfo_and_refreshes(served: Served) -> None:
    async with Browser(served) as browser, served.web_client() as client:
        token = await authorize(served, browser, client, nonce="n-0S6_WzA2Mj")
        assert token["token_type"] == "Bearer"
        assert token["expires_in"] == 600
        assert token["scope"] == "openid profile email read write"

        claims = await verified(served, token["access_token"], f"{served.url}/graphql", "at+jwt")
        ada = await served.user_id("ada")
        assert claims["sub"] == ada
        assert claims["client_id"] == "web"
        assert claims["scope"] == "openid profile email read write"
        assert claims["roles"] == ["member", "editor", "admin"]
        assert set(claims) == {"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope", "roles", "sid"}
        assert claims["exp"] - claims["iat"] == 600

        id_claims = await verified(served, token["id_token"], "web", "JWT")
        assert id_claims["sub"] == ada
        assert id_claims["nonce"] == "n-0S6_WzA2Mj"
        assert id_claims["sid"] == claims["sid"]
        assert id_claims["auth_time"] <= id_claims["iat"]
        digest = hashlib.sha256(token["access_token"].encode()).digest()
        assert id_claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")
        assert id_claims["preferred_username"] == "ada"

        info = await client.get(served.metadata["userinfo_endpoint"])
        assert info.status_code == 200
        assert info.json() == {
            "sub": ada,
            "name": "Ada Lovelace",
            "preferred_username": "ada",
            "email": "ada@example.org",
            "email_verified": False,
        }

        refreshed = await client.refresh_token(served.metadata["token_endpoint"])
        assert refreshed["refresh_token"] != token["refresh_token"]
        again = await verified(served, refreshed["access_token"], f"{served.url}/graphql", "at+jwt")
        assert again["sid"] == claims["sid"]
        assert again["jti"] != claims["jti"]


async def test_scopes_narrow_the_claims_and_tokens(served: Served) -> None:
    async with Browser(served) as browser, served.web_client(scope="openid read") as client:
        token = await authorize(served, browser, client)
        info = await client.get(served.metadata["userinfo_endpoint"])
    assert token["scope"] == "openid read"
    assert info.json() == {"sub": await served.user_id("ada")}


async def test_a_token_without_openid_gets_no_id_token_and_no_userinfo(served: Served) -> None:
    async with Browser(served) as browser, served.web_client(scope="read") as client:
        token = await authorize(served, browser, client)
        info = await client.get(served.metadata["userinfo_endpoint"])
    assert "id_token" not in token
    assert info.status_code == 403
    assert info.json()["error"] == "insufficient_scope"


async def test_a_wrong_code_verifier_is_refused(served: Served) -> None:
    async with Browser(served) as browser, served.web_client() as client:
        url, _ = client.create_authorization_url(
            served.metadata["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48)
        )
        back = await browser.sign_in(url)
        with pytest.raises(OAuthError) as refused:
            await client.fetch_token(
                served.metadata["token_endpoint"],
                authorization_response=back.headers["location"],
                code_verifier=secrets.token_urlsafe(48),
            )
    assert refused.value.error == "invalid_grant"


def authorization_url(served: Served, **params: str) -> str:
    query = {
        "response_type": "code",
        "client_id": "web",
        "redirect_uri": served.callback,
        "scope": "openid",
        "state": "st4te",
        **params,
    }
    return str(httpx.URL(served.metadata["authorization_endpoint"], params=query))


CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(b"x" * 64).digest()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"code_challenge": "x" * 64, "code_challenge_method": "plain"}, "S256"),
        ({"code_challenge": CHALLENGE}, "S256"),
        ({}, "PKCE is required"),
    ],
    ids=["plain", "no-method", "no-challenge"],
)
async def test_pkce_is_required_and_only_s256(served: Served, params: dict, fragment: str) -> None:
    async with Browser(served) as browser:
        response = await browser.http.get(authorization_url(served, **params))
    back = redirect_params(response)
    assert response.headers["location"].startswith(served.callback + "?")
    assert back["error"] == "invalid_request"
    assert fragment in back["error_description"]
    assert back["state"] == "st4te"
    assert back["iss"] == served.url


@pytest.mark.parametrize(
    "params",
    [
        {"redirect_uri": "https://attacker.example/cb"},
        {"redirect_uri": "http://127.0.0.1:1/auth/callback"},
        {"client_id": "nobody"},
    ],
    ids=["foreign", "other-port", "unknown-client"],
)
async def test_a_bad_redirect_uri_or_client_is_never_redirected_to(served: Served, params: dict) -> None:
    url = authorization_url(served, code_challenge=CHALLENGE, code_challenge_method="S256", **params)
    async with Browser(served) as browser:
        response = await browser.http.get(url)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.json()["error"] in ("invalid_request", "invalid_client")


async def test_the_token_request_must_repeat_the_redirect_uri_exactly(served: Served) -> None:
    async with Browser(served) as browser, served.web_client() as client:
        verifier = secrets.token_urlsafe(48)
        url, _ = client.create_authorization_url(served.metadata["authorization_endpoint"], code_verifier=verifier)
        code = redirect_params(await browser.sign_in(url))["code"]
        response = await browser.http.post(
            served.metadata["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": "web",
                "redirect_uri": served.callback + "/other",
                "code_verifier": verifier,
            },
        )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_a_code_works_once_and_its_second_use_revokes_what_the_first_got(served: Served) -> None:
    async with Browser(served) as browser, served.web_client() as client:
        verifier = secrets.token_urlsafe(48)
        url, _ = client.create_authorization_url(served.metadata["authorization_endpoint"], code_verifier=verifier)
        back = await browser.sign_in(url)
        token_url = served.metadata["token_endpoint"]
        token = await client.fetch_token(
            token_url, authorization_response=back.headers["location"], code_verifier=verifier
        )
        with pytest.raises(OAuthError) as again:
            await client.fetch_token(token_url, authorization_response=back.headers["location"], code_verifier=verifier)
        assert again.value.error == "invalid_grant"
        # The tokens from the first exchange are revoked: the refresh token no longer works, userinfo refuses.
        with pytest.raises(OAuthError) as refresh:
            await client.refresh_token(token_url, refresh_token=token["refresh_token"])
        assert refresh.value.error == "invalid_grant"
        info = await browser.http.get(
            served.metadata["userinfo_endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"}
        )
    assert info.status_code == 401


async def test_single_sign_on_skips_the_login_page_the_second_time(served: Served) -> None:
    async with Browser(served) as browser, served.web_client() as client:
        await authorize(served, browser, client)
        url, _ = client.create_authorization_url(
            served.metadata["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48)
        )
        silent = await browser.http.get(url)
        assert "code" in redirect_params(silent)
        forced = await browser.http.get(url + "&prompt=login")
        assert forced.status_code == 200
        assert "Sign in to Rose Ash" in forced.text


async def test_prompt_none_without_a_session_answers_login_required(served: Served) -> None:
    url = authorization_url(served, code_challenge=CHALLENGE, code_challenge_method="S256", prompt="none")
    async with Browser(served) as browser:
        back = redirect_params(await browser.http.get(url))
    assert back["error"] == "login_required"
    assert back["state"] == "st4te"


async def test_partners_ask_for_consent_and_a_refusal_goes_back_as_access_denied(served: Served) -> None:
    partner_id, secret = await served.register_partner(
        name="Acme Bookings",
        grantTypes=["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
        scopes=["OPENID", "PROFILE", "READ"],
        redirectUris=["http://127.0.0.1:9/acme/callback"],
    )
    partner = served.partner_client(partner_id, secret, "http://127.0.0.1:9/acme/callback", scope="openid read")
    async with Browser(served) as browser, partner:
        verifier = secrets.token_urlsafe(48)
        url, _ = partner.create_authorization_url(served.metadata["authorization_endpoint"], code_verifier=verifier)
        consent = await browser.sign_in(url)
        assert consent.status_code == 200
        assert "Acme Bookings" in consent.text
        assert "read on your behalf" in consent.text
        denied = await browser.submit(consent, decision="deny")
        assert redirect_params(denied)["error"] == "access_denied"

        consent = await browser.http.get(url)
        allowed = await browser.submit(consent, decision="allow")
        token = await partner.fetch_token(
            served.metadata["token_endpoint"],
            authorization_response=allowed.headers["location"],
            code_verifier=verifier,
        )
    assert token["scope"] == "openid read"
    claims = await verified(served, token["access_token"], f"{served.url}/graphql", "at+jwt")
    assert claims["client_id"] == partner_id


async def test_max_age_asks_for_a_fresh_sign_in_when_the_last_is_too_old(served: Served) -> None:
    async with Browser(served) as browser, served.web_client() as client:
        await authorize(served, browser, client)
        url, _ = client.create_authorization_url(
            served.metadata["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48), max_age="0"
        )
        page = await browser.http.get(url)
        assert page.status_code == 200
        assert "Sign in to Rose Ash" in page.text
        assert "code" in redirect_params(await browser.submit(page, identifier="ada", password="roseash-demo"))
        bad = await browser.http.get(url.replace("max_age=0", "max_age=soon"))
        assert redirect_params(bad)["error"] == "invalid_request"
