"""A stand-in OAuth issuer for tests: signing keys, access tokens as the federation service signs them, a JWKS endpoint.

Tokens follow the agreed format (RFC 9068 access tokens: RS256, `typ` at+jwt,
`kid`; `sub` equal to `client_id` for client-credentials tokens). The JWKS
endpoint answers as an issuer's does and counts its requests.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ISSUER = "https://roseash.test"
AUDIENCE = "https://roseash.test/graphql"
JWKS_PATH = "/.well-known/jwks.json"


def make_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


def claims(**overrides: Any) -> dict[str, Any]:
    """A user's access token claims, five minutes to live; an override of None leaves that claim out."""
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "client_id": "web",
        "scope": "read write:posts",
        "roles": ["member", "editor"],
        "iat": now,
        "exp": now + 300,
        "jti": "t-1",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: RSAKey | ECKey, payload: dict[str, Any], **header: Any) -> str:
    """The compact JWT; header overrides of None leave that parameter out."""
    head = {"alg": "RS256", "typ": "at+jwt", "kid": key.kid, **header}
    return jwt.encode({k: v for k, v in head.items() if v is not None}, payload, key, algorithms=[head["alg"]])


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Issuer:
    """The JWKS endpoint: the public keys it publishes right now, and how often it was asked."""

    keys: list[RSAKey | ECKey]
    fetches: int = 0
    delay: float = 0.0
    hang: asyncio.Event | None = None  # answers only once set
    cache_control: str = "public, max-age=600"
    extra: list[dict[str, Any]] = field(default_factory=list)  # published as they are, before the keys

    def app(self) -> Starlette:
        async def jwks(request: Request) -> Response:
            self.fetches += 1
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.hang is not None:
                await self.hang.wait()
            body = {"keys": [*self.extra, *(key.as_dict(private=False) for key in self.keys)]}
            headers = {"cache-control": self.cache_control}
            return Response(json.dumps(body), headers=headers, media_type="application/jwk-set+json")

        return Starlette(routes=[Route(JWKS_PATH, jwks)])
