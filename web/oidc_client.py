"""The web site as an OAuth client of our issuer: discovery, the authorization request, the token endpoint.

The site is one of the issuer's first-party clients: a public client (no
secret; PKCE S256 proves each code is ours), registered in
OAUTH_FIRST_PARTY_CLIENTS with the redirect URI PUBLIC_URL + CALLBACK_PATH.
The issuer's metadata (OpenID Connect Discovery) is fetched once and kept for
the life of the process. Calls go over HTTP, or in the embedded default
through a transport onto the federation app in this process.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx
import orjson
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from shared.config import ConfigError, Settings

CALLBACK_PATH = "/auth/callback"
# Who the user is (openid, profile), and the API on their behalf; no offline_access: the
# site's session lives no longer than the sign-in at the issuer.
SCOPE = "openid profile read write"
TIMEOUT_SECONDS = 10.0
_MAX_BYTES = 256 * 1024


class IssuerUnavailable(Exception):
    """The issuer could not be reached, or answered what no issuer of ours would."""


class GrantRefused(Exception):
    """The token endpoint refused the code or refresh token: spent, revoked, or its sign-in ended."""


@dataclass(frozen=True, slots=True)
class Endpoints:
    authorization: str
    token: str
    end_session: str


@dataclass(frozen=True, slots=True)
class Tokens:
    """A token response: the access token and when it expires (epoch seconds), and what came with it."""

    access_token: str
    expires_at: float
    refresh_token: str | None
    id_token: str | None


class OIDCClient:
    def __init__(
        self, *, issuer: str, client_id: str, redirect_uri: str, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self._transport = transport
        self._endpoints: Endpoints | None = None
        self._discovering = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> OIDCClient:
        """The client the issuer registers with the site's callback as a redirect URI."""
        redirect_uri = settings.public_url + CALLBACK_PATH
        client_id = next(
            (cid for cid, uris in settings.oauth_first_party_clients.items() if redirect_uri in uris), None
        )
        if client_id is None:
            raise ConfigError(f"OAUTH_FIRST_PARTY_CLIENTS registers no client for the web site's {redirect_uri}")
        return cls(issuer=settings.oauth_issuer, client_id=client_id, redirect_uri=redirect_uri, transport=transport)

    @property
    def post_logout_redirect_uri(self) -> str:
        # The issuer lets a first-party client come back to its origin's root, and nowhere else.
        return urljoin(self.redirect_uri, "/")

    async def endpoints(self) -> Endpoints:
        """The issuer's endpoints from its discovery document, fetched on first need."""
        if self._endpoints is not None:
            return self._endpoints
        async with self._discovering:  # one fetch, however many requests are waiting for it
            if self._endpoints is None:
                document = await self._call("GET", self.issuer + "/.well-known/openid-configuration")
                # OpenID Connect Discovery 4.3: the document must name the issuer we asked.
                if document.get("issuer") != self.issuer:
                    raise IssuerUnavailable(f"the discovery document names issuer {document.get('issuer')!r}")
                try:
                    self._endpoints = Endpoints(
                        authorization=_url(document["authorization_endpoint"]),
                        token=_url(document["token_endpoint"]),
                        end_session=_url(document["end_session_endpoint"]),
                    )
                except (KeyError, ValueError) as exc:
                    raise IssuerUnavailable(f"the discovery document lacks a usable endpoint: {exc}") from None
            return self._endpoints

    async def authorization_url(self, *, state: str, nonce: str, code_verifier: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": SCOPE,
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(code_verifier),
            "code_challenge_method": "S256",
        }
        return f"{(await self.endpoints()).authorization}?{urlencode(query)}"

    async def exchange(self, code: str, code_verifier: str) -> Tokens:
        """The tokens for an authorization code; GrantRefused if the issuer will not give them."""
        return await self._grant(
            grant_type="authorization_code", code=code, redirect_uri=self.redirect_uri, code_verifier=code_verifier
        )

    async def refresh(self, refresh_token: str) -> Tokens:
        """New tokens for a refresh token, which is spent by it (the issuer rotates them)."""
        return await self._grant(grant_type="refresh_token", refresh_token=refresh_token)

    async def end_session_url(self, id_token_hint: str) -> str:
        query = {
            "id_token_hint": id_token_hint,
            "client_id": self.client_id,
            "post_logout_redirect_uri": self.post_logout_redirect_uri,
        }
        return f"{(await self.endpoints()).end_session}?{urlencode(query)}"

    async def _grant(self, **form: str) -> Tokens:
        body = await self._call("POST", (await self.endpoints()).token, {**form, "client_id": self.client_id})
        access_token, expires_in = body.get("access_token"), body.get("expires_in")
        refresh_token, id_token = body.get("refresh_token"), body.get("id_token")
        if (
            str(body.get("token_type", "")).lower() != "bearer"
            or not isinstance(access_token, str)
            or not isinstance(expires_in, int)
            or not isinstance(refresh_token, str | None)
            or not isinstance(id_token, str | None)
        ):
            raise IssuerUnavailable("the token endpoint answered without a bearer token and its lifetime")
        return Tokens(access_token, time.time() + expires_in, refresh_token, id_token)

    async def _call(self, method: str, url: str, form: dict[str, str] | None = None) -> dict[str, Any]:
        """The JSON object the issuer answers; GrantRefused for an OAuth error, IssuerUnavailable otherwise."""
        # A client per call: these are few (a sign-in, a refresh every few minutes per visitor).
        async with httpx.AsyncClient(transport=self._transport, timeout=TIMEOUT_SECONDS) as client:
            try:
                response = await client.request(method, url, data=form, headers={"Accept": "application/json"})
            except httpx.HTTPError as exc:
                raise IssuerUnavailable(f"{url} did not answer: {type(exc).__name__}") from None
        try:
            body = orjson.loads(response.content) if len(response.content) <= _MAX_BYTES else None
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            raise IssuerUnavailable(f"{url} answered HTTP {response.status_code} without a JSON object")
        if response.status_code in (400, 401) and isinstance(body.get("error"), str):
            raise GrantRefused(f"{body['error']}: {body.get('error_description', '')}")
        if response.status_code != 200:
            raise IssuerUnavailable(f"{url} answered HTTP {response.status_code}")
        return body


def _url(value: object) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value
