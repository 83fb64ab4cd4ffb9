"""Who is asking: the viewer every service decides access by, built from a verified bearer token.

Access tokens are JWTs in the RFC 9068 profile, signed by the federation
service with a key from its JWKS. The router and every subgraph verify them
the same way: asymmetric algorithms only (never `none`, never HMAC, so a
public key cannot double as a shared secret), `typ` at+jwt, our issuer, our
audience, and within their lifetime give or take a small leeway.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from joserfc.errors import ClaimError, ExpiredTokenError
from joserfc.jwt import JWTClaimsRegistry
from starlette.responses import Response

from shared.config import Settings
from shared.errors import ErrorCode
from shared.jwks import JWKS, InvalidJWT, KeysUnavailable, verified_claims

logger = logging.getLogger("roseash.auth")

# RFC 9068 section 2.1; RFC 7515 section 4.1.9 lets the "application/" prefix be left out.
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
LEEWAY_SECONDS = 30
# Verified tokens are remembered (at most this many, each at most this long), so a client's
# next requests cost a lookup instead of a signature check.
REMEMBERED_TOKENS = 1024
REMEMBER_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    client_id: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.client_id is not None

    def has_role(self, role: str) -> bool:
        return role in self.roles


ANONYMOUS = Viewer()


class TokenError(Exception):
    """A bearer token was refused. The exception's text says why, for logs; `message` is what the client is told."""

    def __init__(self, reason: str, message: str = "the access token is invalid", *, unavailable: bool = False) -> None:
        super().__init__(reason)
        self.message = message
        # The token could not be checked at all (the issuer's keys are out of reach), which is not the client's fault.
        self.unavailable = unavailable


class TokenVerifier:
    """Verifies access tokens against the issuer's keys and says whose they are."""

    def __init__(
        self,
        keys: JWKS,
        *,
        issuer: str,
        audience: str,
        leeway: int = LEEWAY_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self._clock = clock
        self._remembered: OrderedDict[str, tuple[Viewer, float]] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenVerifier:
        return cls(JWKS(settings.oauth_jwks_url), issuer=settings.oauth_issuer, audience=settings.oauth_audience)

    async def close(self) -> None:
        await self.keys.close()

    async def viewer(self, authorization: str | None) -> Viewer:
        """Whom an Authorization header speaks for: ANONYMOUS without one; raises TokenError for a bad one."""
        if authorization is None:
            return ANONYMOUS
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise TokenError(
                "the Authorization header is not a bearer token",
                "send the access token as Authorization: Bearer <token>",
            )
        return await self.verify(token)

    async def verify(self, token: str) -> Viewer:
        """The viewer `token` stands for; raises TokenError."""
        now = self._clock()
        remembered = self._remembered.get(token)
        if remembered is not None:
            viewer, until = remembered
            if now < until:
                self._remembered.move_to_end(token)
                return viewer
            del self._remembered[token]
        try:
            viewer, expires = await self._verify(token, now)
        except TokenError as exc:
            logger.log(logging.WARNING if exc.unavailable else logging.INFO, "bearer token refused: %s", exc)
            raise
        self._remembered[token] = (viewer, min(expires + self.leeway, now + REMEMBER_SECONDS))
        if len(self._remembered) > REMEMBERED_TOKENS:
            self._remembered.popitem(last=False)
        return viewer

    async def _verify(self, token: str, now: float) -> tuple[Viewer, float]:
        """The viewer and the token's expiry time."""
        try:
            claims = await verified_claims(token, self.keys, ACCESS_TOKEN_TYPES, typ_required=True)
        except KeysUnavailable as exc:
            raise TokenError(
                str(exc), "the access token cannot be checked right now; try again shortly", unavailable=True
            ) from None
        except InvalidJWT as exc:
            raise TokenError(str(exc)) from None
        requirements = JWTClaimsRegistry(
            now=int(now),
            leeway=self.leeway,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            exp={"essential": True},
            sub={"essential": True},
            client_id={"essential": True},
        )
        try:
            requirements.validate(claims)
        except ExpiredTokenError:
            raise TokenError("expired", "the access token is expired") from None
        except ClaimError as exc:
            raise TokenError(f"claims refused: {exc}") from None
        return _viewer(claims), float(claims["exp"])


def _viewer(claims: dict[str, Any]) -> Viewer:
    subject, client_id, scope = claims["sub"], claims["client_id"], claims.get("scope", "")
    if not isinstance(client_id, str):
        raise TokenError("claim client_id is not a string")
    if not isinstance(scope, str):
        raise TokenError("claim scope is not a space-separated string")
    scopes = frozenset(scope.split())
    if subject == client_id:
        # Client credentials: the client acts for itself, and no user is involved.
        return Viewer(scopes=scopes, client_id=client_id)
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise TokenError("claim roles is not a list of strings")
    return Viewer(user_id=subject, roles=frozenset(roles), scopes=scopes, client_id=client_id)


def refusal_response(error: TokenError, media_type: str = "application/json") -> Response:
    """The answer to a request whose token was refused: 401 with RFC 6750's challenge and a GraphQL-shaped body.

    When the token could not be checked at all, 503: the client should retry, not drop its token.
    """
    body = orjson.dumps({"errors": [{"message": error.message, "extensions": {"code": ErrorCode.UNAUTHENTICATED}}]})
    if error.unavailable:
        return Response(body, 503, {"retry-after": "5"}, media_type)
    challenge = f'Bearer error="invalid_token", error_description="{error.message}"'
    return Response(body, 401, {"www-authenticate": challenge}, media_type)
