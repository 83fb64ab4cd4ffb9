"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0): what the issuer sends, and what the site accepts.

Logout tokens are made and read here with PyJWT, which shares no code with
either side.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from joserfc.jwk import RSAKey
from starlette.types import Receive, Scope, Send

from subgraphs.federation import backchannel_logout, login_sessions, signing_keys
from subgraphs.federation.oauth_server import Authority
from tests.conftest import Backend
from tests.web.site_kit import Browser, Served, serve_site, sign_in, signed_in_as, web_session

EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture
async def served(backend: Backend):
    async with serve_site(backend) as served:
        yield served


async def signing_key(served: Served) -> RSAKey:
    async with served.resources.sessions() as db, db.begin():
        return await db.run_sync(signing_keys.active_key)


def logout_token(key: RSAKey, claims: dict[str, Any], *, kid: str | None = None, typ: str = "logout+jwt") -> str:
    pem = key.as_pem(private=True)
    return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid or str(key.kid), "typ": typ})


def genuine(served: Served, sid: str, sub: str) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": served.url,
        "aud": "web",
        "iat": now,
        "exp": now + 120,
        "jti": f"jti-{now}",
        "sid": sid,
        "sub": sub,
        "events": {EVENT: {}},
    }


async def post(served: Served, **form: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{served.url}/auth/backchannel-logout", data=form)


async def test_the_issuer_says_it_supports_back_channel_logout_with_sids(served: Served) -> None:
    assert served.metadata["backchannel_logout_supported"] is True
    assert served.metadata["backchannel_logout_session_supported"] is True


async def test_a_genuine_logout_token_ends_the_sessions_with_its_sid(served: Served) -> None:
    async with Browser(served) as browser:
        await sign_in(browser)
        session = await web_session(served, browser)
        assert session is not None
        token = logout_token(await signing_key(served), genuine(served, session.sid, session.user_id))
        accepted = await post(served, logout_token=token)
        assert accepted.status_code == 200
        assert accepted.headers["cache-control"] == "no-store"
        assert await signed_in_as(browser) is None
        assert (await post(served, logout_token=token)).status_code == 200  # telling twice changes nothing


def forge(served: Served, key: RSAKey, sid: str, sub: str, problem: str) -> str:
    claims = genuine(served, sid, sub)
    if problem == "bad signature":
        return logout_token(RSAKey.generate_key(2048, private=True), claims, kid=str(key.kid))
    if problem == "typed as an ID token":
        return logout_token(key, claims, typ="JWT")
    if problem == "unsigned":
        return jwt.encode(claims, None, algorithm="none", headers={"typ": "logout+jwt", "kid": str(key.kid)})
    changes: dict[str, Any] = {
        "wrong audience": {"aud": "someone-else"},
        "another issuer": {"iss": "https://other-issuer.example"},
        "no events claim": {"events": None},
        "another event": {"events": {"http://schemas.openid.net/event/other": {}}},
        "a nonce": {"nonce": "n-0S6_WzA2Mj"},
        "no sid": {"sid": None},
        "no jti": {"jti": None},
        "expired": {"iat": claims["iat"] - 600, "exp": claims["iat"] - 300},
    }[problem]
    return logout_token(key, {k: v for k, v in (claims | changes).items() if v is not None})


@pytest.mark.parametrize(
    "problem",
    [
        "bad signature",
        "typed as an ID token",
        "unsigned",
        "wrong audience",
        "another issuer",
        "no events claim",
        "another event",
        "a nonce",
        "no sid",
        "no jti",
        "expired",
    ],
)
async def test_a_forged_logout_token_is_refused(served: Served, problem: str) -> None:
    async with Browser(served) as browser:
        await sign_in(browser)
        session = await web_session(served, browser)
        assert session is not None
        forged = forge(served, await signing_key(served), session.sid, session.user_id, problem)
        refused = await post(served, logout_token=forged)
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_request"
        assert await signed_in_as(browser) == "Ada Lovelace"


async def test_a_request_without_a_logout_token_is_refused(served: Served) -> None:
    assert (await post(served)).status_code == 400
    async with httpx.AsyncClient() as client:
        as_json = await client.post(f"{served.url}/auth/backchannel-logout", json={"logout_token": "x"})
    assert as_json.status_code == 400


class Recorder:
    """Stands in for the site: records what the issuer delivers."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return httpx.Response(200)

        return httpx.MockTransport(handle)

    def tokens(self) -> list[str]:
        return [httpx.QueryParams(request.content.decode())["logout_token"] for request in self.requests]


async def end_in_a_request(served: Served, channel: backchannel_logout.BackchannelLogout, sid: str, *, fail: bool):
    """End the login session `sid` inside a request to an app announcing through `channel`; roll back if `fail`."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        async with served.resources.sessions() as db, db.begin():
            await db.run_sync(login_sessions.end, [sid])
            if fail:
                raise RuntimeError("the request failed after ending the session")

    announcing = backchannel_logout.AnnounceEndedSessions(app, channel)
    if fail:
        with pytest.raises(RuntimeError):
            await announcing({"type": "http"}, None, None)  # type: ignore[arg-type]
    else:
        await announcing({"type": "http"}, None, None)  # type: ignore[arg-type]


async def test_the_issuer_announces_an_ending_once_it_is_committed_and_not_before(served: Served) -> None:
    recorder = Recorder()
    channel = backchannel_logout.BackchannelLogout(Authority.from_settings(served.resources.settings))
    channel.use_transport(recorder.transport())
    async with Browser(served) as browser:
        await sign_in(browser, "grace")
        session = await web_session(served, browser)
        assert session is not None
        await end_in_a_request(served, channel, session.sid, fail=True)
        assert recorder.requests == []  # rolled back: nothing ended, nothing said
        assert await signed_in_as(browser) == "Grace Hopper"
        await end_in_a_request(served, channel, session.sid, fail=False)
    [request] = recorder.requests
    assert str(request.url) == f"{served.url}/auth/backchannel-logout"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    [token] = recorder.tokens()
    async with httpx.AsyncClient() as client:
        keys = jwt.PyJWKSet.from_dict((await client.get(served.metadata["jwks_uri"])).json())
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "logout+jwt"
    key = next(k for k in keys.keys if k.key_id == header["kid"])
    claims = jwt.decode(token, key, algorithms=["RS256"], audience="web", issuer=served.url)
    assert claims["sid"] == session.sid
    assert claims["sub"] == session.user_id
    assert claims["events"] == {EVENT: {}}
    assert "nonce" not in claims
    assert claims["jti"]
    assert 0 < claims["exp"] - claims["iat"] <= 300
