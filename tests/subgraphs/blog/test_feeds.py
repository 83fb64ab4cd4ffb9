"""RSS and Atom feeds of published posts, read back by feedparser as an independent parser."""

from __future__ import annotations

from collections.abc import AsyncIterator

import feedparser
import httpx
import pytest

from roseash.embedded import create_platform_app
from shared.auth import Viewer
from shared.resources import Resources
from subgraphs.blog import service
from subgraphs.blog.app import create_app
from subgraphs.blog.models import Kind

WRITER = Viewer(user_id="e1", roles=frozenset({"editor"}))


@pytest.fixture
async def blog(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    async with resources.sessions() as session, session.begin():
        for n, title in enumerate(("First <post> & more", "Second", "Third")):
            post = await service.create(
                session,
                WRITER,
                Kind.POST,
                service.Changes(title=title, body=f"Body **{n}** <script>x()</script>", tags=["News", f"T{n}"]),
            )
            await service.publish(session, WRITER, Kind.POST, post.id)
        await service.create(session, WRITER, Kind.POST, service.Changes(title="Unpublished draft"))
        page = await service.create(session, WRITER, Kind.PAGE, service.Changes(title="About"))
        await service.publish(session, WRITER, Kind.PAGE, page.id)
    transport = httpx.ASGITransport(app=create_app(resources))
    async with httpx.AsyncClient(transport=transport, base_url="http://blog") as client:
        yield client


@pytest.mark.parametrize(
    ("path", "media_type", "version"),
    [("/feeds/rss.xml", "application/rss+xml", "rss20"), ("/feeds/atom.xml", "application/atom+xml", "atom10")],
)
async def test_feeds_list_published_posts_newest_first(
    blog: httpx.AsyncClient, resources: Resources, path: str, media_type: str, version: str
) -> None:
    response = await blog.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == version
    assert [entry.title for entry in feed.entries] == ["Third", "Second", "First <post> & more"]
    first = feed.entries[-1]
    assert first.link == resources.settings.public_url + "/blog/first-post-more/"
    assert [tag.term for tag in first.tags] in (["News", "T0"], ["news", "t0"])
    body = first.content[0].value
    assert "<strong>0</strong>" in body
    assert "script" not in body
    assert first.published_parsed is not None
    assert len({entry.id for entry in feed.entries}) == 3


async def test_feeds_answer_not_modified_to_a_matching_etag(blog: httpx.AsyncClient) -> None:
    first = await blog.get("/feeds/atom.xml")
    etag = first.headers["etag"]
    again = await blog.get("/feeds/atom.xml", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    other = await blog.get("/feeds/atom.xml", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


async def test_the_platform_serves_feeds_where_they_say_they_are(resources: Resources) -> None:
    transport = httpx.ASGITransport(app=create_platform_app(resources))
    async with httpx.AsyncClient(transport=transport, base_url="http://platform") as client:
        response = await client.get("/feeds/atom.xml")
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert feed.feed.links[-1].href == resources.settings.public_url + "/feeds/atom.xml"
