"""The blog's side of the published-posts contract, which newsletters read."""

from __future__ import annotations

from datetime import timedelta

from shared.auth import Viewer
from shared.contracts import contracts
from shared.contracts.posts import PublishedPosts
from shared.resources import Resources
from subgraphs.blog import service
from subgraphs.blog.models import Kind

WRITER = Viewer(user_id="e1", roles=frozenset({"editor"}))


async def test_recent_published_posts_newest_first_since_a_time(resources: Resources) -> None:
    async with resources.sessions() as session, session.begin():
        posts = []
        for title in ("Old", "Middle", "New"):
            post = await service.create(session, WRITER, Kind.POST, service.Changes(title=title, body="Some *text*"))
            await service.publish(session, WRITER, Kind.POST, post.id)
            posts.append(post)
        for n, post in enumerate(posts):
            post.published_at = post.created_at - timedelta(days=10 - n)
        await service.create(session, WRITER, Kind.POST, service.Changes(title="Draft"))
        page = await service.create(session, WRITER, Kind.PAGE, service.Changes(title="A page"))
        await service.publish(session, WRITER, Kind.PAGE, page.id)
    published = contracts.get(PublishedPosts)
    async with resources.sessions() as session:
        everything = await published.recent(session, since=None, limit=10)
        since = await published.recent(session, since=posts[0].published_at, limit=10)
        one = await published.recent(session, since=None, limit=1)
    assert [p.title for p in everything] == ["New", "Middle", "Old"]
    assert [p.title for p in since] == ["New", "Middle"]
    assert [p.title for p in one] == ["New"]
    assert everything[0].path == "/blog/new/"
    assert everything[0].excerpt == "Some text"
