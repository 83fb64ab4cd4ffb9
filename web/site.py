"""What the site's handlers share: its address, the issuer as an OAuth client sees it, sessions, the router."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from shared.jwks import JWKS
from shared.resources import Resources
from web.login_attempts import LoginAttempts
from web.oidc_client import OIDCClient
from web.router_client import Router
from web.sessions import SessionStore, cookie_is_secure
from web.viewer import Viewers


@dataclass(frozen=True, slots=True)
class Site:
    origin: str  # where the site is served: what its own forms' Origin must be
    issuer_origin: str  # where its sign-out form's redirect goes on to
    secure: bool  # whether its cookies are Secure
    oidc: OIDCClient
    keys: JWKS  # the issuer's, which sign ID and logout tokens as they sign access tokens
    sessions: SessionStore
    attempts: LoginAttempts
    viewers: Viewers
    router: Router

    @classmethod
    def open(
        cls,
        resources: Resources,
        issuer_transport: httpx.AsyncBaseTransport | None = None,
        router_transport: httpx.AsyncBaseTransport | None = None,
    ) -> Site:
        settings = resources.settings
        oidc = OIDCClient.from_settings(settings, issuer_transport)
        store = SessionStore(resources.cache)
        return cls(
            origin=_origin(settings.public_url),
            issuer_origin=_origin(settings.oauth_issuer),
            secure=cookie_is_secure(settings.public_url),
            oidc=oidc,
            keys=resources.tokens.keys,
            sessions=store,
            attempts=LoginAttempts(resources.cache),
            viewers=Viewers(store, oidc),
            router=Router(settings.web_router_url, router_transport),
        )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
