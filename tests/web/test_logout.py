"""Signing out: from the site, at the issuer, or by changing the password, every way ends the site's session too."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import Backend
from tests.subgraphs.federation.oauth_kit import form
from tests.web.site_kit import Browser, Served, graphql, serve_site, sign_in, signed_in_as, web_session
from web import sessions


@pytest.fixture
async def served(backend: Backend):
    async with serve_site(backend) as served:
        yield served


async def asks_for_a_password(browser: Browser) -> bool:
    """Whether signing in to the site again needs the password, or single sign-on lets the browser straight in."""
    start = await browser.http.get("/auth/login")
    at_issuer = await browser.http.get(start.headers["location"])
    return at_issuer.status_code == 200 and 'type="password"' in at_issuer.text


async def test_signing_out_of_the_site_ends_the_issuers_session_too(served: Served) -> None:
    async with Browser(served) as browser:
        await sign_in(browser)
        session = await web_session(served, browser)
        assert session is not None
        assert not await asks_for_a_password(browser)  # signed in at the issuer: single sign-on
        home = await browser.http.get("/")
        action, fields = form(home)
        assert action == "/auth/logout"
        left = await browser.http.post(action, data=fields)
        assert left.status_code == 303
        assert sessions.COOKIE not in browser.http.cookies
        end_session = urlsplit(left.headers["location"])
        assert (
            f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == served.metadata["end_session_endpoint"]
        )
        query = {k: v[0] for k, v in parse_qs(end_session.query).items()}
        assert query == {
            "id_token_hint": session.id_token,
            "client_id": "web",
            "post_logout_redirect_uri": f"{served.url}/",
        }
        # The issuer ends its session without asking (the hint is ours) and sends the browser home.
        home_again = await browser.http.get(left.headers["location"])
        assert home_again.status_code == 302
        assert home_again.headers["location"] == f"{served.url}/"
        assert await signed_in_as(browser) is None
        assert await asks_for_a_password(browser)


async def test_signing_out_needs_the_sites_own_form(served: Served) -> None:
    async with Browser(served) as browser:
        await sign_in(browser)
        _, fields = form(await browser.http.get("/"))
        refused = [
            await browser.http.post("/auth/logout", data={}),
            await browser.http.post("/auth/logout", data={"csrf": "guessed"}),
            await browser.http.post("/auth/logout", data=fields, headers={"Sec-Fetch-Site": "cross-site"}),
            await browser.http.post("/auth/logout", data=fields, headers={"Origin": "https://evil.example"}),
        ]
        assert [response.status_code for response in refused] == [403] * 4
        assert await signed_in_as(browser) == "Ada Lovelace"
        same_origin = {"Sec-Fetch-Site": "same-origin", "Origin": served.url}
        assert (await browser.http.post("/auth/logout", data=fields, headers=same_origin)).status_code == 303


async def test_signing_out_at_the_issuer_ends_the_sites_session_by_the_back_channel(served: Served) -> None:
    async with Browser(served) as browser:
        await sign_in(browser)
        session = await web_session(served, browser)
        assert session is not None
        # The access token has minutes to live, so only being told can end the site's session now.
        assert session.expires_at > time.time() + 60
        asked = await browser.http.get(served.metadata["end_session_endpoint"])
        assert "Sign out of Rose Ash?" in asked.text
        action, fields = form(asked)
        signed_out = await browser.http.post(action, data={**fields, "confirm": "yes"})
        assert "You are signed out" in signed_out.text
        assert await signed_in_as(browser) is None
        assert await asks_for_a_password(browser)


async def test_a_password_change_ends_every_session_of_the_user_on_the_site(served: Served) -> None:
    async with Browser(served) as laptop, Browser(served) as phone:
        await sign_in(laptop, "linus")
        await sign_in(phone, "linus")
        session = await web_session(served, phone)
        assert session is not None
        changed = await graphql(
            served,
            "mutation($input: ChangePasswordInput!) { changePassword(input: $input) { handle } }",
            session.access_token,
            input={"currentPassword": "roseash-demo", "newPassword": "a new password"},
        )
        assert changed == {"data": {"changePassword": {"handle": "linus"}}}
        assert await signed_in_as(laptop) is None
        assert await signed_in_as(phone) is None


async def test_another_users_sign_out_leaves_this_session_alone(served: Served) -> None:
    async with Browser(served) as ada, Browser(served) as grace:
        await sign_in(ada)
        await sign_in(grace, "grace")
        await grace.http.post("/auth/logout", data=form(await grace.http.get("/"))[1])
        assert await signed_in_as(grace) is None
        assert await signed_in_as(ada) == "Ada Lovelace"
