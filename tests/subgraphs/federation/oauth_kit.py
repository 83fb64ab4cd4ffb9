"""For the OAuth server's tests: the federation app served over HTTP at its issuer's address, and a browser.

The client side is an independent OAuth client (authlib's httpx client, the
same one a partner would use), and tokens are checked with PyJWT, which
shares no code with the server. The browser is plain httpx with a cookie jar,
reading forms out of the pages as a person's browser would.
"""

from __future__ import annotations

import dataclasses
import secrets
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.auth import TokenVerifier, Viewer
from shared.resources import Resources
from shared.seeds import run_seeds
from subgraphs.federation.app import create_app
from subgraphs.federation.schema import schema
from subgraphs.federation.seed import DEMO_PASSWORD, PASSWORDS_SEED, SEED
from tests.helpers import serving
from tests.subgraphs.graphql import execute

with warnings.catch_warnings():
    # authlib prefers the httpx2 package for its client; httpx, which we have, works the same.
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

__all__ = ["DEMO_PASSWORD", "AsyncOAuth2Client", "Browser", "OAuthError", "Served", "serve_oauth", "verified"]


class _Late:
    """An ASGI app filled in once the port, and so the issuer's address, is known."""

    app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None
        await self.app(scope, receive, send)


@dataclass
class Served:
    url: str
    resources: Resources
    metadata: dict[str, Any]

    @property
    def callback(self) -> str:
        return f"{self.url}/auth/callback"

    def web_client(self, scope: str = "openid profile email read write", **kwargs: Any) -> AsyncOAuth2Client:
        """The first-party web app: a public client with PKCE."""
        return AsyncOAuth2Client(
            client_id="web",
            redirect_uri=self.callback,
            scope=scope,
            code_challenge_method="S256",
            token_endpoint_auth_method="none",
            **kwargs,
        )

    def partner_client(self, client_id: str, secret: str, redirect_uri: str, scope: str) -> AsyncOAuth2Client:
        """A partner: a confidential client, which uses PKCE too."""
        return AsyncOAuth2Client(
            client_id=client_id,
            client_secret=secret,
            redirect_uri=redirect_uri,
            scope=scope,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        )

    async def user_id(self, handle: str) -> str:
        body = await execute(schema, self.resources, "query($h: String) { user(handle: $h) { id } }", h=handle)
        return body["data"]["user"]["id"]

    async def admin(self) -> Viewer:
        return Viewer(user_id=await self.user_id("ada"), roles=frozenset({"member", "editor", "admin"}))

    async def register_partner(self, **input: Any) -> tuple[str, str]:
        """A partner client registered by an admin through GraphQL: its id and secret."""
        body = await execute(
            schema,
            self.resources,
            "mutation($input: RegisterOAuthClientInput!) "
            "{ registerOAuthClient(input: $input) { clientSecret client { clientId } } }",
            await self.admin(),
            input=input,
        )
        created = body["data"]["registerOAuthClient"]
        return created["client"]["clientId"], created["clientSecret"]


@asynccontextmanager
async def serve_oauth(
    resources: Resources, build: Callable[[Resources], ASGIApp] = create_app
) -> AsyncIterator[Served]:
    """The federation app (or what `build` makes) on 127.0.0.1, with PUBLIC_URL, so the issuer, at its address."""
    late = _Late()
    async with serving(late) as url:
        settings = dataclasses.replace(
            resources.settings,
            public_url=url,
            oauth_issuer=url,
            oauth_audience=f"{url}/graphql",
            oauth_first_party_clients={"web": (f"{url}/auth/callback",)},
        )
        # Tokens are checked against this address's issuer and audience.
        here = dataclasses.replace(resources, settings=settings, tokens=TokenVerifier.from_settings(settings))
        await run_seeds(here.sessions, [SEED, PASSWORDS_SEED])
        late.app = build(here)
        async with httpx.AsyncClient() as client:
            metadata = (await client.get(f"{url}/.well-known/openid-configuration")).json()
        try:
            yield Served(url, here, metadata)
        finally:
            await here.tokens.close()


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": named.get("action", ""), "fields": {}})
        elif tag == "input" and self.forms and named.get("name"):
            self.forms[-1]["fields"][named["name"]] = named.get("value", "")


async def verified(served: Served, token: str, audience: str, typ: str) -> dict[str, Any]:
    """The token's claims, checked by PyJWT against our JWKS: signature, header, issuer, audience, expiry."""
    async with httpx.AsyncClient() as http:
        keys = jwt.PyJWKSet.from_dict((await http.get(served.metadata["jwks_uri"])).json())
    header = jwt.get_unverified_header(token)
    assert header["typ"] == typ
    assert header["alg"] == "RS256"
    key = next(k for k in keys.keys if k.key_id == header["kid"])
    return jwt.decode(token, key, algorithms=["RS256"], audience=audience, issuer=served.url)


def form(page: httpx.Response) -> tuple[str, dict[str, str]]:
    """The page's form: where it posts, and its fields as the page filled them in."""
    parser = _Forms()
    parser.feed(page.text)
    [found] = parser.forms
    return found["action"], found["fields"]


class Browser:
    """A person's browser: keeps cookies, does not follow redirects to the client (we read them instead)."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.http = httpx.AsyncClient(base_url=served.url, follow_redirects=False)

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def submit(self, page: httpx.Response, **fields: str) -> httpx.Response:
        action, filled = form(page)
        return await self.http.post(action or str(page.url), data={**filled, **fields})

    async def sign_in(
        self, authorization_url: str, handle: str = "ada", password: str = DEMO_PASSWORD
    ) -> httpx.Response:
        """Open the authorization URL and fill in the login form: the response to the form.

        Already signed in, there is no form: the redirect back to the client is the response.
        """
        page = await self.http.get(authorization_url)
        if page.status_code == 302:
            return page
        assert page.status_code == 200, page.text
        return await self.submit(page, identifier=handle, password=password)


def redirect_params(response: httpx.Response) -> dict[str, str]:
    """The query of a redirect to the client, one value per name."""
    assert response.status_code == 302, response.text
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


async def authorize(
    served: Served, browser: Browser, client: AsyncOAuth2Client, handle: str = "ada", **params: Any
) -> dict[str, Any]:
    """The whole code flow as `handle`: authorization URL, sign-in, token exchange. The token response."""
    verifier = params.pop("code_verifier", None) or secrets.token_urlsafe(48)
    url, _state = client.create_authorization_url(
        served.metadata["authorization_endpoint"], code_verifier=verifier, **params
    )
    back = await browser.sign_in(url, handle)
    return await client.fetch_token(
        served.metadata["token_endpoint"], authorization_response=back.headers["location"], code_verifier=verifier
    )
