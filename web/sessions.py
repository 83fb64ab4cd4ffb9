"""The site's own sessions: a random id in a first-party cookie, the session itself in the shared cache.

The cookie is set by the site after the code exchange, on its own origin, so
no browser's tracking prevention stands between the site and its visitors
(Safari blocks third-party cookies, which the issuer's own would be here). It
is HttpOnly, SameSite=Lax, Path=/, and Secure whenever the site is served
over https. The cache (Redis in production, memory in the embedded default)
holds what the cookie opens, under a hash of it, so reading the cache opens
nothing: the user, the issuer's login session (`sid`) and the tokens, which
never reach the page.

When the issuer says a login session ended (back-channel logout), its `sid`
is marked ended for as long as a session can live; every session with that
`sid` is then refused and deleted when next presented, including one whose
sign-in was completing at that very moment.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import orjson
from starlette.responses import Response

from shared.cache import Cache
from web.oidc_client import Tokens

COOKIE = "roseash_web"
# As long as a sign-in at the issuer lasts; refreshing fails sooner if the sign-in ends first.
LIFETIME = timedelta(days=14)
# How long one refresh may hold a session before others may try (the token endpoint's timeout and then some).
REFRESH_LOCK_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class WebSession:
    user_id: str
    sid: str  # the issuer's login session, which back-channel logouts name
    access_token: str
    expires_at: float  # of the access token, epoch seconds
    refresh_token: str | None
    id_token: str  # the hint that lets the issuer end its session without asking
    csrf: str  # what the site's own forms carry
    created_at: float

    def with_tokens(self, tokens: Tokens) -> WebSession:
        """The session after a refresh: a new access token, the rotated refresh token."""
        return dataclasses.replace(
            self,
            access_token=tokens.access_token,
            expires_at=tokens.expires_at,
            refresh_token=tokens.refresh_token,
            id_token=tokens.id_token or self.id_token,
        )


def cookie_is_secure(public_url: str) -> bool:
    """Secure cookies where the site is served over https; a browser would drop them over plain http."""
    return public_url.startswith("https://")


def set_cookie(response: Response, value: str, *, secure: bool) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        secure=secure,
        samesite="lax",  # sent when the visitor arrives from elsewhere by a link, never with another site's form
    )


def clear_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, secure=secure, samesite="lax")


class SessionStore:
    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    async def create(self, session: WebSession) -> str:
        """Store `session` under a new id: the value for the cookie."""
        cookie = secrets.token_urlsafe(32)
        await self.save(cookie, session)
        return cookie

    async def load(self, cookie: str) -> WebSession | None:
        """The live session the cookie opens, if any."""
        raw = await self.cache.get(_key(cookie))
        if raw is None:
            return None
        try:
            session = WebSession(**orjson.loads(raw))
        except (orjson.JSONDecodeError, TypeError):  # stored by a version of the site that kept other fields
            session = None
        if session is None or await self.cache.get(_ended_key(session.sid)) is not None:
            await self.delete(cookie)
            return None
        return session

    async def save(self, cookie: str, session: WebSession) -> None:
        remaining = session.created_at + LIFETIME.total_seconds() - time.time()
        if remaining > 0:
            await self.cache.set(_key(cookie), orjson.dumps(dataclasses.asdict(session)), ttl=remaining)

    async def delete(self, cookie: str) -> None:
        await self.cache.delete(_key(cookie))

    async def end_login_session(self, sid: str) -> None:
        """Every session with this `sid` is over: the issuer's login session it came from ended."""
        await self.cache.set(_ended_key(sid), b"1", ttl=LIFETIME.total_seconds())

    async def claim_refresh(self, cookie: str) -> bool:
        """Whether this caller may refresh the session's tokens now: one at a time, across processes."""
        return await self.cache.incr(_refresh_key(cookie), ttl=REFRESH_LOCK_SECONDS) == 1

    async def release_refresh(self, cookie: str) -> None:
        await self.cache.delete(_refresh_key(cookie))


def secret_hash(secret: str) -> str:
    """How the site keys what a browser's secret opens: random and long, so one SHA-256 suffices."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _key(cookie: str) -> str:
    return f"web:session:{secret_hash(cookie)}"


def _refresh_key(cookie: str) -> str:
    return f"web:refreshing:{secret_hash(cookie)}"


def _ended_key(sid: str) -> str:
    return f"web:ended-sid:{sid}"
