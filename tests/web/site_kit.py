"""For the web site's tests: the whole platform, as `make run` serves it, over HTTP at its PUBLIC_URL.

A person's browser is plain httpx with a cookie jar (the OAuth server's
tests' `Browser`), which goes through the site's sign-in as a browser
would: the site's redirect to the issuer, the login form, the redirect back.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from roseash.embedded import create_platform_app
from shared.cache import RedisCache
from shared.config import load_settings
from shared.resources import Resources
from shared.seeds import run_seeds
from subgraphs.federation.seed import PASSWORDS_SEED, SEED
from tests.conftest import Backend, migrate
from tests.helpers import serving
from tests.subgraphs.federation.oauth_kit import Browser, Served
from web import sessions
from web.sessions import SessionStore, WebSession

__all__ = ["Browser", "Served", "graphql", "serve_site", "sign_in", "signed_in_as", "web_session"]


@asynccontextmanager
async def serve_site(backend: Backend) -> AsyncIterator[Served]:
    """The platform on 127.0.0.1 with PUBLIC_URL (so the issuer and the site's callback) at its address."""
    await migrate(backend)
    platform: list[ASGIApp] = []

    async def late(scope: Scope, receive: Receive, send: Send) -> None:  # served before the address is known
        await platform[0](scope, receive, send)

    async with serving(late) as url:
        resources = Resources.open(load_settings({**backend.environ(), "PUBLIC_URL": url}))
        if backend.redis_url:
            await resources.cache.close()
            resources.cache = RedisCache(backend.redis_url, prefix=f"test:{uuid.uuid4().hex}:")
        try:
            await run_seeds(resources.sessions, [SEED, PASSWORDS_SEED])
            platform.append(create_platform_app(resources))
            async with httpx.AsyncClient() as client:
                metadata = (await client.get(f"{url}/.well-known/openid-configuration")).json()
            yield Served(url, resources, metadata)
        finally:
            await resources.close()


async def sign_in(browser: Browser, handle: str = "ada", next_path: str | None = None) -> httpx.Response:
    """The site's sign-in, start to end, as `handle`: the site's answer to the issuer sending the browser back."""
    start = await browser.http.get("/auth/login", params={"next": next_path} if next_path else None)
    assert start.status_code == 303, start.text
    back = await browser.sign_in(start.headers["location"], handle)
    assert back.status_code == 302, back.text
    return await browser.http.get(back.headers["location"])


async def signed_in_as(browser: Browser) -> str | None:
    """Whom the home page says is signed in, or None when it offers to sign in."""
    page = await browser.http.get("/")
    assert page.status_code == 200, page.text
    if "Signed in as " not in page.text:
        assert 'href="/auth/login"' in page.text
        return None
    return page.text.split("Signed in as ")[1].split("</p>")[0]


async def web_session(served: Served, browser: Browser) -> WebSession | None:
    """The site's session behind the browser's cookie, as the cache holds it."""
    return await SessionStore(served.resources.cache).load(browser.http.cookies[sessions.COOKIE])


async def graphql(served: Served, query: str, token: str, **variables: Any) -> dict[str, Any]:
    """The router's answer to `query` asked with `token`, as any API client would ask it."""
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{served.url}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    answer: dict[str, Any] = response.json()
    return answer
