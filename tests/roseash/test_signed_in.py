"""The platform for a signed-in member: a token from our own OAuth server, checked by the router and subgraphs."""

from __future__ import annotations

from typing import Any

import httpx

from roseash.embedded import create_platform_app
from shared.resources import Resources
from shared.seeds import run_seeds
from subgraphs.blog.seed import SEED as BLOG
from tests.subgraphs.federation.oauth_kit import Browser, authorize, serve_oauth

CREATE = 'mutation { createPost(input: {title: "From the editor", body: "Hello"}) { slug status author { handle } } }'


async def graphql(url: str, query: str, token: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{url}/graphql", json={"query": query}, headers=headers)
    return response.status_code, response.json()


async def test_sign_in_then_edit_through_the_router(resources: Resources) -> None:
    async with serve_oauth(resources, create_platform_app) as served:
        await run_seeds(served.resources.sessions, [BLOG])
        async with Browser(served) as browser:
            grace = await authorize(served, browser, served.web_client(), handle="grace")
        async with Browser(served) as browser:
            linus = await authorize(served, browser, served.web_client(), handle="linus")

        # Mutations need the write scope: the router refuses them before any subgraph is asked.
        status, anonymous = await graphql(served.url, CREATE)
        assert (status, anonymous["errors"][0]["extensions"]["code"]) == (200, "UNAUTHORIZED_FIELD_OR_TYPE")
        async with Browser(served) as browser:
            reader = await authorize(served, browser, served.web_client(scope="openid read"), handle="grace")
        _, read_only = await graphql(served.url, CREATE, reader["access_token"])
        assert read_only["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
        # With the scope, the subgraph decides by role.
        status, member = await graphql(served.url, CREATE, linus["access_token"])
        assert member["errors"][0]["extensions"]["code"] == "FORBIDDEN"

        status, editor = await graphql(served.url, CREATE, grace["access_token"])
        assert "errors" not in editor, editor
        assert editor["data"]["createPost"] == {
            "slug": "from-the-editor",
            "status": "DRAFT",
            "author": {"handle": "grace"},
        }
        _, me = await graphql(served.url, "{ viewer { handle email } }", grace["access_token"])
        assert me["data"]["viewer"] == {"handle": "grace", "email": "grace@example.org"}

        header, payload, signature = grace["access_token"].split(".")
        tampered = ".".join((header, payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB"), signature))
        status, refused = await graphql(served.url, "{ viewer { handle } }", tampered)
        assert status == 401
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
