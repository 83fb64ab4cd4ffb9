"""Sign-ins in progress: the nonce, PKCE verifier and destination of each, until the issuer sends the browser back.

Each attempt is kept in the cache under its `state` for ten minutes, beside a
hash of a random value the browser holds in a cookie sent only to the site's
/auth paths. The callback takes the attempt once: a replayed callback, a
state we never issued, or a state started in another browser finds nothing
or a mismatch. Tabs signing in at once share the cookie, each with its own
state.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

import orjson
from starlette.responses import Response

from shared.cache import Cache
from web.sessions import secret_hash

COOKIE = "roseash_web_login"
PATH = "/auth"  # sent where sign-ins start (so tabs share one value) and end
LIFETIME_SECONDS = 600


@dataclass(frozen=True, slots=True)
class Attempt:
    state: str
    nonce: str
    code_verifier: str
    next: str  # a path on this site, where the visitor goes once signed in


class LoginAttempts:
    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    async def start(self, browser: str, next_path: str) -> Attempt:
        """A new attempt by the browser holding `browser` in its cookie."""
        attempt = Attempt(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(64),
            next=next_path,
        )
        record = {
            "browser": secret_hash(browser),
            "nonce": attempt.nonce,
            "verifier": attempt.code_verifier,
            "next": next_path,
        }
        await self.cache.set(_key(attempt.state), orjson.dumps(record), ttl=LIFETIME_SECONDS)
        return attempt

    async def take(self, state: str, browser: str) -> Attempt | None:
        """The attempt `state` names, if this browser started it; either way it cannot be taken again."""
        key = _key(state)
        raw = await self.cache.get(key)
        # Deleting is the claim: of two callbacks racing with one state, only one deletes it.
        if raw is None or not await self.cache.delete(key):
            return None
        record = orjson.loads(raw)
        if not hmac.compare_digest(record["browser"], secret_hash(browser)):
            return None
        return Attempt(state=state, nonce=record["nonce"], code_verifier=record["verifier"], next=record["next"])


def browser_value(current: str | None) -> str:
    """The browser's value: the one its cookie holds, or a new one for `set_cookie`."""
    return current or secrets.token_urlsafe(32)


def set_cookie(response: Response, value: str, *, secure: bool) -> None:
    # Lax is enough: the issuer sends the browser back with a top-level GET, which carries Lax cookies.
    response.set_cookie(
        COOKIE, value, max_age=LIFETIME_SECONDS, path=PATH, httponly=True, secure=secure, samesite="lax"
    )


def _key(state: str) -> str:
    return f"web:login:{secret_hash(state)}"
