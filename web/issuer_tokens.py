"""Checking the JWTs the issuer sends the site: ID tokens after sign-in, logout tokens on the back channel.

Both are signed with the issuer's keys, the same JWKS access tokens are
checked against (`shared.jwks`, fetched once and cached, refetched for an
unknown key id), with asymmetric algorithms only. An ID token must be for
this client, carry the nonce of the sign-in it ends and the `sid` of the
issuer's login session. A logout token (OpenID Connect Back-Channel Logout
1.0, section 2.6) must be typed as one, carry the logout event and a `sid`
(this site requires it), and no nonce, so an ID token can never pass for one.
"""

from __future__ import annotations

import time
from typing import Any

from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwt import ClaimsOption, JWTClaimsRegistry

from shared.auth import LEEWAY_SECONDS
from shared.jwks import JWKS, InvalidJWT, KeysUnavailable, verified_claims
from web.oidc_client import IssuerUnavailable

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TYPES = frozenset({"logout+jwt", "application/logout+jwt"})
# An ID token is a plain JWT; one typed as something else (an access or logout token) is not one.
ID_TOKEN_TYPES = frozenset({"jwt", "application/jwt"})


class InvalidToken(Exception):
    """The token is not what it claims to be; the message says why."""


async def id_token_claims(token: str, keys: JWKS, *, issuer: str, client_id: str, nonce: str) -> dict[str, Any]:
    claims = await _verified(token, keys, ID_TOKEN_TYPES, typ_required=False)
    _check(
        claims,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
        sid={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    _check_azp(claims, client_id)
    return claims


async def logout_token_claims(token: str, keys: JWKS, *, issuer: str, client_id: str) -> dict[str, Any]:
    claims = await _verified(token, keys, LOGOUT_TOKEN_TYPES, typ_required=True)
    _check(
        claims,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        iat={"essential": True},
        exp={"essential": False},
        jti={"essential": True},
        sid={"essential": True},
    )
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(LOGOUT_EVENT), dict):
        raise InvalidToken(f"the events claim has no {LOGOUT_EVENT} member")
    if "nonce" in claims:
        raise InvalidToken("a logout token carries no nonce")
    _check_azp(claims, client_id)
    return claims


async def _verified(token: str, keys: JWKS, types: frozenset[str], *, typ_required: bool) -> dict[str, Any]:
    try:
        return await verified_claims(token, keys, types, typ_required=typ_required)
    except KeysUnavailable as exc:
        raise IssuerUnavailable(str(exc)) from None
    except InvalidJWT as exc:
        raise InvalidToken(str(exc)) from None


def _check(claims: dict[str, Any], **options: ClaimsOption) -> None:
    try:
        JWTClaimsRegistry(now=int(time.time()), leeway=LEEWAY_SECONDS, **options).validate(claims)
    except ExpiredTokenError:
        raise InvalidToken("expired") from None
    except JoseError as exc:
        raise InvalidToken(f"claims refused: {exc}") from None
    for name in ("sub", "sid"):
        if name in claims and not isinstance(claims[name], str):
            raise InvalidToken(f"claim {name} is not a string")


def _check_azp(claims: dict[str, Any], client_id: str) -> None:
    # OpenID Connect Core 3.1.3.7: with several audiences, the token must say it was issued to us.
    if isinstance(claims["aud"], list) and len(claims["aud"]) > 1 and claims.get("azp") != client_id:
        raise InvalidToken("the token has several audiences and is not authorised for this client")
