"""Who is looking at a page: the signed-in user, if any, and a live access token to call the router with.

Access tokens live minutes; the session's refresh token gets a new one when
the current one is about to expire. Refresh tokens rotate and a spent one
presented again revokes the whole grant, so a session refreshes one at a
time: whoever claims the session's refresh lock in the cache (shared by every
process of the site) refreshes, and concurrent page loads wait for the new
token instead of spending the old refresh token again. A refusal from the
issuer (the sign-in ended or was revoked) ends the session.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from starlette.requests import Request

from web import sessions
from web.oidc_client import GrantRefused, IssuerUnavailable, OIDCClient
from web.sessions import SessionStore, WebSession

logger = logging.getLogger("roseash.web")

# Refreshed this long before it expires, so the router never sees it expire on the way.
EXPIRY_MARGIN_SECONDS = 30.0
_WAIT_STEP_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class SignedIn:
    user_id: str
    access_token: str  # for the router; never put in a page
    csrf: str  # for the site's own forms (sign out)


class Viewers:
    def __init__(self, store: SessionStore, oidc: OIDCClient) -> None:
        self.store = store
        self.oidc = oidc

    async def of(self, request: Request) -> SignedIn | None:
        """The signed-in user of `request`, or None; IssuerUnavailable when a due refresh cannot be done."""
        cookie = request.cookies.get(sessions.COOKIE)
        if not cookie:
            return None
        session = await self.store.load(cookie)
        if session is not None and not _fresh(session):
            session = await self._refreshed(cookie)
        if session is None:
            return None
        return SignedIn(user_id=session.user_id, access_token=session.access_token, csrf=session.csrf)

    async def _refreshed(self, cookie: str) -> WebSession | None:
        deadline = time.monotonic() + sessions.REFRESH_LOCK_SECONDS
        while not await self.store.claim_refresh(cookie):
            # Another request is refreshing this session: wait for its token.
            if time.monotonic() > deadline:
                raise IssuerUnavailable("a refresh of this session has not finished in time")
            await asyncio.sleep(_WAIT_STEP_SECONDS)
            session = await self.store.load(cookie)
            if session is None or _fresh(session):
                return session
        try:
            # Read again under the lock: a refresh may have finished since this request looked.
            session = await self.store.load(cookie)
            if session is None or _fresh(session):
                return session
            if session.refresh_token is None:
                await self.store.delete(cookie)
                return None
            try:
                tokens = await self.oidc.refresh(session.refresh_token)
            except GrantRefused as refused:
                logger.info("session ended: the issuer refused its refresh token (%s)", refused)
                await self.store.delete(cookie)
                return None
            session = session.with_tokens(tokens)
            await self.store.save(cookie, session)
            return session
        finally:
            await self.store.release_refresh(cookie)


def _fresh(session: WebSession) -> bool:
    return session.expires_at - EXPIRY_MARGIN_SECONDS > time.time()
