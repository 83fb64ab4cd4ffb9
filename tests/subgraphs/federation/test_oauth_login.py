"""The login and consent forms: one answer for every wrong sign-in, rate limits, CSRF, and the pages' headers."""

from __future__ import annotations

import secrets

import pytest

from shared.resources import Resources
from subgraphs.federation import sign_in
from subgraphs.federation.schema import schema
from tests.subgraphs.federation.oauth_kit import DEMO_PASSWORD, Browser, Served, form, redirect_params, serve_oauth
from tests.subgraphs.graphql import execute


@pytest.fixture
async def served(resources: Resources):
    async with serve_oauth(resources) as served:
        yield served


def login_url(served: Served) -> str:
    client = served.web_client()
    url, _ = client.create_authorization_url(
        served.metadata["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48)
    )
    return url


async def attempt(browser: Browser, served: Served, identifier: str, password: str):
    page = await browser.http.get(login_url(served))
    return await browser.submit(page, identifier=identifier, password=password)


async def test_unknown_account_wrong_password_and_no_password_look_the_same(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    await execute(
        schema,
        served.resources,
        'mutation { register(input: {handle: "nopass", email: "n@example.org", displayName: "N"}) { id } }',
    )
    checked: list[str] = []
    real = sign_in.verify_password_async

    async def counting(password: str, stored: str) -> bool:
        checked.append(stored)
        return await real(password, stored)

    monkeypatch.setattr(sign_in, "verify_password_async", counting)
    async with Browser(served) as browser:
        answers = [
            await attempt(browser, served, "nobody", "whatever-it-is"),
            await attempt(browser, served, "nobody@example.org", "whatever-it-is"),
            await attempt(browser, served, "ada", "not-the-password"),
            await attempt(browser, served, "nopass", "whatever-it-is"),
        ]
    assert {a.status_code for a in answers} == {400}
    messages = {a.text.split('role="alert" class="error">')[1].split("<")[0] for a in answers}
    assert len(messages) == 1
    # The same scrypt work whether or not there is an account, or a password, to check against.
    assert len(checked) == 4
    assert all(stored.startswith("scrypt$32768$8$1$") for stored in checked)


async def test_a_failed_sign_in_keeps_the_name_typed_and_no_session(served: Served) -> None:
    async with Browser(served) as browser:
        answer = await attempt(browser, served, "ada", "not-the-password")
        assert form(answer)[1]["identifier"] == "ada"
        assert "roseash_sso" not in browser.http.cookies


async def test_sign_ins_are_limited_per_account(served: Served) -> None:
    async with Browser(served) as browser:
        for _ in range(sign_in.FAILURES_PER_ACCOUNT):
            assert (await attempt(browser, served, "Grace", "wrong-password")).status_code == 400
        # Locked for the window, even with the right password, and whatever the spelling of the name.
        limited = await attempt(browser, served, "grace", DEMO_PASSWORD)
        assert limited.status_code == 429
        assert sign_in.TOO_MANY in limited.text
        # An unknown name is limited the same way, so the limit tells nothing about who has an account.
        for _ in range(sign_in.FAILURES_PER_ACCOUNT):
            await attempt(browser, served, "ghost", "wrong-password")
        assert (await attempt(browser, served, "ghost", "wrong-password")).status_code == 429
        # Other accounts are untouched.
        assert "code" in redirect_params(await attempt(browser, served, "linus", DEMO_PASSWORD))


async def test_a_successful_sign_in_clears_the_accounts_failures(served: Served) -> None:
    async with Browser(served) as browser:
        for _ in range(sign_in.FAILURES_PER_ACCOUNT - 1):
            await attempt(browser, served, "linus", "wrong-password")
        assert (await attempt(browser, served, "linus", DEMO_PASSWORD)).status_code == 302
    async with Browser(served) as browser:
        for _ in range(sign_in.FAILURES_PER_ACCOUNT - 1):
            assert (await attempt(browser, served, "linus", "wrong-password")).status_code == 400


async def test_sign_ins_are_limited_per_address(served: Served) -> None:
    async with Browser(served) as browser:
        for n in range(sign_in.FAILURES_PER_ADDRESS):
            assert (await attempt(browser, served, f"someone{n}", "wrong-password")).status_code == 400
        limited = await attempt(browser, served, "ada", DEMO_PASSWORD)
    assert limited.status_code == 429


async def test_the_login_form_refuses_a_missing_or_foreign_csrf_token(served: Served) -> None:
    async with Browser(served) as browser:
        page = await browser.http.get(login_url(served))
        action, fields = form(page)
        credentials = {"identifier": "ada", "password": DEMO_PASSWORD, "step": "login"}
        missing = await browser.http.post(action, data=credentials)
        forged = await browser.http.post(action, data={**credentials, "csrf": "guessed"})
        cross_site = await browser.http.post(
            action, data={**fields, **credentials}, headers={"Sec-Fetch-Site": "cross-site"}
        )
        for refused in (missing, forged, cross_site):
            assert refused.status_code == 403
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["code"] == "FORBIDDEN"
        assert "roseash_sso" not in browser.http.cookies
        # Another browser's token (with its own cookie) does not fit this browser's cookie either.
        async with Browser(served) as other:
            their_fields = form(await other.http.get(login_url(served)))[1]
        stolen = await browser.http.post(action, data={**credentials, "csrf": their_fields["csrf"]})
        assert stolen.status_code == 403
        assert (await browser.submit(page, identifier="ada", password=DEMO_PASSWORD)).status_code == 302


async def test_the_consent_form_refuses_a_missing_csrf_token(served: Served) -> None:
    partner_id, secret = await served.register_partner(
        name="Acme", grantTypes=["AUTHORIZATION_CODE"], scopes=["READ"], redirectUris=["https://acme.example/cb"]
    )
    client = served.partner_client(partner_id, secret, "https://acme.example/cb", scope="read")
    url, _ = client.create_authorization_url(
        served.metadata["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48)
    )
    async with Browser(served) as browser:
        consent = await browser.sign_in(url)
        action, _ = form(consent)
        forged = await browser.http.post(action, data={"step": "consent", "decision": "allow"})
        assert forged.status_code == 403
        allowed = await browser.submit(consent, decision="allow")
        assert redirect_params(allowed)["code"]


async def test_the_pages_cannot_be_framed_cached_or_leak_a_referrer(served: Served) -> None:
    async with Browser(served) as browser:
        page = await browser.http.get(login_url(served))
        signed_in = await browser.submit(page, identifier="ada", password=DEMO_PASSWORD)
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert f"form-action 'self' {served.url}" in csp  # the redirect after the form goes to the client
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    [cookie] = [c.lower() for c in signed_in.headers.get_list("set-cookie") if c.startswith("roseash_sso=")]
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/oauth" in cookie
