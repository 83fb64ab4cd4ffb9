"""Signing in to the site: the redirect dance, the site's own session cookie, and what the callback refuses."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import jwt as pyjwt
import pytest
from starlette.responses import Response

from tests.conftest import Backend
from tests.web.site_kit import Browser, Served, graphql, serve_site, sign_in, signed_in_as, web_session
from web import sessions
from web.auth_routes import local_path
from web.issuer_tokens import InvalidToken, id_token_claims


@pytest.fixture
async def served(backend: Backend):
    async with serve_site(backend) as served:
        yield served


async def callback_url(browser: Browser) -> str:
    """Where the issuer sends the browser back after ada signs in, not yet followed."""
    start = await browser.http.get("/auth/login")
    back = await browser.sign_in(start.headers["location"])
    assert back.status_code == 302
    return back.headers["location"]


def with_param(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts._replace(query=urlencode(query)).geturl()


async def test_a_demo_user_signs_in_and_the_home_page_says_who(served: Served) -> None:
    async with Browser(served) as browser:
        assert await signed_in_as(browser) is None
        back = await sign_in(browser, "grace")
        assert back.status_code == 303
        assert back.headers["location"] == "/"
        assert await signed_in_as(browser) == "Grace Hopper"
        session = await web_session(served, browser)
    assert session is not None
    assert session.user_id == await served.user_id("grace")
    assert session.sid
    assert session.refresh_token
    assert session.id_token


async def test_the_authorization_request_uses_pkce_state_and_nonce(served: Served) -> None:
    async with Browser(served) as browser:
        start = await browser.http.get("/auth/login")
    assert start.headers["location"].startswith(served.metadata["authorization_endpoint"] + "?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
    assert query["client_id"] == "web"
    assert query["redirect_uri"] == f"{served.url}/auth/callback"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32
    assert len(query["nonce"]) >= 32
    assert "openid" in query["scope"].split()
    [pending] = [c.lower() for c in start.headers.get_list("set-cookie") if c.startswith("roseash_web_login=")]
    assert "httponly" in pending
    assert "samesite=lax" in pending
    assert "path=/auth;" in pending


async def test_the_session_cookie_is_first_party_httponly_and_lax(served: Served) -> None:
    async with Browser(served) as browser:
        back = await sign_in(browser)
    [cookie] = [c for c in back.headers.get_list("set-cookie") if c.startswith(f"{sessions.COOKIE}=")]
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
    assert attributes["path"] == "Path=/"
    assert "domain" not in attributes  # this host only
    assert "secure" not in attributes  # served over plain http here; see the test below
    assert int(attributes["max-age"].split("=")[1]) == int(sessions.LIFETIME.total_seconds())


@pytest.mark.parametrize(
    ("public_url", "secure"), [("https://roseash.example", True), ("http://127.0.0.1:8000", False)]
)
def test_the_cookie_is_secure_exactly_when_the_site_is_served_over_https(public_url: str, secure: bool) -> None:
    assert sessions.cookie_is_secure(public_url) is secure
    response = Response()
    sessions.set_cookie(response, "value", secure=sessions.cookie_is_secure(public_url))
    assert ("; secure" in response.headers["set-cookie"].lower()) is secure


async def test_a_state_the_browser_did_not_start_is_refused(served: Served) -> None:
    async with Browser(served) as browser:
        url = await callback_url(browser)
        wrong = await browser.http.get(with_param(url, state="not-the-state"))
        assert wrong.status_code == 400
        assert sessions.COOKIE not in browser.http.cookies
        # Nor may another browser finish this one's sign-in (a login CSRF): its state is bound to this browser.
        async with Browser(served) as other:
            await other.http.get("/auth/login")
            stolen = await other.http.get(url)
            assert stolen.status_code == 400
            assert sessions.COOKIE not in other.http.cookies


async def test_a_replayed_callback_is_refused(served: Served) -> None:
    async with Browser(served) as browser:
        url = await callback_url(browser)
        assert (await browser.http.get(url)).status_code == 303
        first = browser.http.cookies[sessions.COOKIE]
        replayed = await browser.http.get(url)
        assert replayed.status_code == 400
        assert "already over" in replayed.text
        assert browser.http.cookies[sessions.COOKIE] == first  # the session the first one started is untouched


async def test_two_tabs_signing_in_at_once_both_finish(served: Served) -> None:
    async with Browser(served) as browser:
        first = await browser.http.get("/auth/login", params={"next": "/first"})
        second = await browser.http.get("/auth/login", params={"next": "/second"})
        back_first = await browser.sign_in(first.headers["location"])
        back_second = await browser.sign_in(second.headers["location"])  # signed in by now: no form
        assert (await browser.http.get(back_first.headers["location"])).headers["location"] == "/first"
        assert (await browser.http.get(back_second.headers["location"])).headers["location"] == "/second"
        assert await signed_in_as(browser) == "Ada Lovelace"


async def test_an_answer_naming_another_issuer_is_refused(served: Served) -> None:
    async with Browser(served) as browser:
        url = await callback_url(browser)
        mixed_up = await browser.http.get(with_param(url, iss="https://other-issuer.example"))
        assert mixed_up.status_code == 400
        assert sessions.COOKIE not in browser.http.cookies


async def test_next_sends_the_signed_in_visitor_back_to_a_page_of_this_site(served: Served) -> None:
    async with Browser(served) as browser:
        back = await sign_in(browser, next_path="/posts/hello?page=2")
    assert back.status_code == 303
    assert back.headers["location"] == "/posts/hello?page=2"


@pytest.mark.parametrize(
    "next_path",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "evil.example", "/\t/evil.example", "javascript:x"],
)
async def test_next_leading_anywhere_else_is_refused(served: Served, next_path: str) -> None:
    async with Browser(served) as browser:
        refused = await browser.http.get("/auth/login", params={"next": next_path})
    assert refused.status_code == 400
    assert "location" not in refused.headers
    with pytest.raises(ValueError, match="path on this site"):
        local_path(next_path)


async def test_a_second_sign_in_gets_a_new_session_id(served: Served) -> None:
    async with Browser(served) as browser:
        await sign_in(browser)
        first = browser.http.cookies[sessions.COOKIE]
        await sign_in(browser)  # single sign-on: no password this time
        assert browser.http.cookies[sessions.COOKIE] != first
        assert await signed_in_as(browser) == "Ada Lovelace"
        browser.http.cookies.set(sessions.COOKIE, first)
        assert await signed_in_as(browser) is None


async def test_the_home_page_escapes_what_the_router_answers(served: Served) -> None:
    async with Browser(served) as browser:
        await sign_in(browser, "linus")
        session = await web_session(served, browser)
        assert session is not None
        renamed = await graphql(
            served,
            'mutation($id: ID!) { updateProfile(input: {userId: $id, displayName: "<b>Linus</b> & co"}) { id } }',
            session.access_token,
            id=session.user_id,
        )
        assert "errors" not in renamed, renamed
        page = await browser.http.get("/")
    assert "Signed in as &lt;b&gt;Linus&lt;/b&gt; &amp; co</p>" in page.text
    assert "<script" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


async def test_an_id_token_must_be_for_this_client_and_this_sign_in(served: Served) -> None:
    async with Browser(served) as browser:
        await sign_in(browser)
        session = await web_session(served, browser)
    assert session is not None
    nonce = pyjwt.decode(session.id_token, options={"verify_signature": False})["nonce"]
    keys = served.resources.tokens.keys
    expected = {"issuer": served.url, "client_id": "web", "nonce": nonce}
    assert (await id_token_claims(session.id_token, keys, **expected))["sid"] == session.sid
    for wrong in ({"nonce": "another sign-in's"}, {"client_id": "someone-else"}, {"issuer": "https://other.example"}):
        with pytest.raises(InvalidToken):
            await id_token_claims(session.id_token, keys, **(expected | wrong))
    with pytest.raises(InvalidToken, match="typ"):  # an access token is not an ID token
        await id_token_claims(session.access_token, keys, **expected)
