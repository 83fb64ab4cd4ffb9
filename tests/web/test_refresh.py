"""The site's access tokens: refreshed on the server when they expire, once however many pages ask at once."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import httpx
import pytest
from sqlalchemy import select

from subgraphs.federation.oauth_models import IssuedToken
from tests.conftest import Backend
from tests.web.site_kit import Browser, Served, serve_site, sign_in, signed_in_as, web_session
from web import sessions
from web.sessions import SessionStore


@pytest.fixture
async def served(backend: Backend):
    async with serve_site(backend) as served:
        yield served


async def expire_access_token(served: Served, browser: Browser) -> sessions.WebSession:
    """Move the session's access token past its expiry, as ten minutes would; the session as it was before."""
    cookie = browser.http.cookies[sessions.COOKIE]
    store = SessionStore(served.resources.cache)
    session = await store.load(cookie)
    assert session is not None
    await store.save(cookie, dataclasses.replace(session, expires_at=time.time() - 1))
    return session


async def tokens_of(served: Served, user_id: str) -> list[IssuedToken]:
    async with served.resources.sessions() as db:
        return list((await db.scalars(select(IssuedToken).where(IssuedToken.user_id == user_id))).all())


async def test_concurrent_pages_share_one_refresh(served: Served) -> None:
    async with Browser(served) as browser:
        await sign_in(browser)
        before = await expire_access_token(served, browser)
        pages = await asyncio.gather(*(browser.http.get("/") for _ in range(8)))
        after = await web_session(served, browser)
    assert all(page.status_code == 200 and "Signed in as Ada Lovelace" in page.text for page in pages)
    assert after is not None
    assert after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token  # rotated
    assert after.expires_at > time.time() + 60
    assert after.sid == before.sid
    # The code exchange and exactly one refresh; a second use of the old refresh token would have revoked both.
    issued = await tokens_of(served, before.user_id)
    assert len(issued) == 2
    assert [row.revoked_at for row in issued] == [None, None]
    assert len({row.family_id for row in issued}) == 1


async def test_a_refused_refresh_ends_the_session(served: Served) -> None:
    async with Browser(served) as browser:
        await sign_in(browser)
        cookie = browser.http.cookies[sessions.COOKIE]
        session = await expire_access_token(served, browser)
        # Revoked at the issuer (by the user elsewhere, say): the refresh token no longer works.
        async with httpx.AsyncClient() as client:
            revoked = await client.post(
                served.metadata["revocation_endpoint"], data={"token": session.refresh_token, "client_id": "web"}
            )
        assert revoked.status_code == 200
        assert await signed_in_as(browser) is None
        assert sessions.COOKIE not in browser.http.cookies  # the page forgot the cookie of a session that ended
    assert await SessionStore(served.resources.cache).load(cookie) is None
