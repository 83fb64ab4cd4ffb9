"""The demo blog a newcomer sees in `make run`: posts with authors and tags, a page and a menu, through the router."""

from __future__ import annotations

import httpx

from roseash.embedded import create_platform_app
from roseash.services import SEEDS, load
from shared.resources import Resources
from shared.seeds import run_seeds

PAGE = """{
  posts(first: 10) { edges { node { title url author { handle displayName } tags { name } } } }
  page(slug: "about") { title }
  menu { label url children { label } }
}"""


async def test_the_demo_blog_shows_through_the_router(resources: Resources) -> None:
    await run_seeds(resources.sessions, [load(path) for path in SEEDS])
    transport = httpx.ASGITransport(app=create_platform_app(resources))
    async with httpx.AsyncClient(transport=transport, base_url="http://platform") as client:
        body = (await client.post("/graphql", json={"query": PAGE})).json()
    assert "errors" not in body, body
    posts = [edge["node"] for edge in body["data"]["posts"]["edges"]]
    assert len(posts) >= 4
    assert {post["author"]["handle"] for post in posts} >= {"ada", "grace"}
    assert all(post["tags"] and post["author"]["displayName"] for post in posts)
    assert posts[0]["title"] == "Annual general meeting: the date is set"
    assert body["data"]["page"] == {"title": "About the co-op"}
    assert [item["label"] for item in body["data"]["menu"]] == ["Home", "Blog", "About"]
    # Seeds run once: a second start adds nothing.
    assert await run_seeds(resources.sessions, [load(path) for path in SEEDS]) == []
