"""The blog as a page asks for it: through the router, joined with users and profiles, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from roseash.embedded import create_platform_app
from shared.auth import Viewer
from shared.contracts import contracts
from shared.contracts.users import Authors
from shared.resources import Resources
from shared.seeds import run_seeds
from subgraphs.blog import service
from subgraphs.blog.models import Kind
from subgraphs.federation.seed import SEED

PAGE = """
query($first: Int!) {
  posts(first: $first) {
    edges { node {
      title readingTime
      tags { name }
      author { handle displayName profile { bio timeZone } }
    } }
  }
}
"""


@pytest.fixture
async def client(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    await run_seeds(resources.sessions, [SEED])
    async with resources.sessions() as session, session.begin():
        authors = contracts.get(Authors)
        ids = [await authors.user_id_by_handle(session, handle) for handle in ("ada", "grace", "linus")]
        for n in range(60):
            writer = Viewer(user_id=ids[n % 3], roles=frozenset({"editor"}))
            changes = service.Changes(title=f"Post {n}", body="words " * n, tags=[f"tag {n % 7}", f"tag {n % 5}"])
            post = await service.create(session, writer, Kind.POST, changes)
            await service.publish(session, writer, Kind.POST, post.id)
    transport = httpx.ASGITransport(app=create_platform_app(resources))
    async with httpx.AsyncClient(transport=transport, base_url="http://platform") as client:
        yield client


async def statements_for(client: httpx.AsyncClient, resources: Resources, first: int) -> tuple[int, dict[str, Any]]:
    executed: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        executed.append(statement)

    event.listen(resources.engine.sync_engine, "before_cursor_execute", record)
    try:
        response = await client.post("/graphql", json={"query": PAGE, "variables": {"first": first}})
    finally:
        event.remove(resources.engine.sync_engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return len(executed), response.json()


async def test_fifty_posts_with_authors_tags_and_profiles_cost_what_five_do(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    await statements_for(client, resources, 1)  # warm the router's plan cache and the pools
    few, small = await statements_for(client, resources, 5)
    many, large = await statements_for(client, resources, 50)
    assert "errors" not in large, large
    edges = large["data"]["posts"]["edges"]
    assert len(edges) == 50
    assert len(small["data"]["posts"]["edges"]) == 5
    newest = edges[0]["node"]
    assert newest["title"] == "Post 59"
    assert newest["tags"] == [{"name": "tag 3"}, {"name": "tag 4"}]
    assert newest["author"] == {
        "handle": "linus",
        "displayName": "Linus Pauling",
        "profile": {"bio": "", "timeZone": "UTC"},
    }
    assert {edge["node"]["author"]["handle"] for edge in edges} == {"ada", "grace", "linus"}
    print(f"statements: {few} for 5 posts, {many} for 50")
    assert many == few, f"{few} statements for 5 posts but {many} for 50"
