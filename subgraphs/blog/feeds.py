"""RSS 2.0 and Atom 1.0 feeds of the latest published posts, with conditional GET."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shared.config import Settings
from shared.db import utcnow
from shared.resources import Resources
from subgraphs.blog import content, service
from subgraphs.blog.models import Kind, Post, Status, Tag

FEED_SIZE = 20
TITLE = "Rose Ash blog"
ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
ET.register_namespace("atom", ATOM)
ET.register_namespace("content", CONTENT)


async def _latest(session: AsyncSession) -> list[tuple[Post, list[Tag]]]:
    posts = (
        await session.scalars(
            select(Post)
            .where(Post.kind == Kind.POST, Post.status == Status.PUBLISHED)
            .order_by(Post.published_at.desc(), Post.id.desc())
            .limit(FEED_SIZE)
        )
    ).all()
    tags = await service.tags_for_posts(session, [post.id for post in posts])
    return list(zip(posts, tags, strict=True))


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        # Rows written before the blog dropped XML-illegal characters would otherwise break the feed for everyone.
        element.text = content.printable(text)
    return element


def rss(settings: Settings, items: Sequence[tuple[Post, list[Tag]]]) -> bytes:
    root = ET.Element("rss", {"version": "2.0"})
    channel = _sub(root, "channel")
    _sub(channel, "title", TITLE)
    _sub(channel, "link", settings.public_url + "/blog/")
    _sub(channel, "description", "News and stories from the Rose Ash co-op")
    _sub(
        channel, f"{{{ATOM}}}link", href=settings.public_url + "/feeds/rss.xml", rel="self", type="application/rss+xml"
    )
    _sub(channel, "lastBuildDate", format_datetime(_updated(items)))
    for post, tags in items:
        item = _sub(channel, "item")
        _sub(item, "title", post.title)
        _sub(item, "link", settings.public_url + service.path(post.kind, post.slug))
        _sub(item, "guid", _urn(post), isPermaLink="false")
        if post.published_at:
            _sub(item, "pubDate", format_datetime(post.published_at))
        _sub(item, "description", post.excerpt)
        _sub(item, f"{{{CONTENT}}}encoded", post.html)
        for tag in tags:
            _sub(item, "category", tag.name)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def atom(settings: Settings, items: Sequence[tuple[Post, list[Tag]]]) -> bytes:
    root = ET.Element(f"{{{ATOM}}}feed")
    _sub(root, f"{{{ATOM}}}title", TITLE)
    _sub(root, f"{{{ATOM}}}id", settings.public_url + "/blog/")
    _sub(root, f"{{{ATOM}}}updated", _updated(items).isoformat())
    _sub(root, f"{{{ATOM}}}link", href=settings.public_url + "/blog/", rel="alternate", type="text/html")
    _sub(root, f"{{{ATOM}}}link", href=settings.public_url + "/feeds/atom.xml", rel="self")
    # Atom requires an author; the posts' authors live in another domain, so the feed names the blog.
    _sub(_sub(root, f"{{{ATOM}}}author"), f"{{{ATOM}}}name", TITLE)
    for post, tags in items:
        entry = _sub(root, f"{{{ATOM}}}entry")
        _sub(entry, f"{{{ATOM}}}title", post.title)
        _sub(entry, f"{{{ATOM}}}id", _urn(post))
        _sub(entry, f"{{{ATOM}}}link", href=settings.public_url + service.path(post.kind, post.slug), rel="alternate")
        _sub(entry, f"{{{ATOM}}}updated", post.updated_at.isoformat())
        if post.published_at:
            _sub(entry, f"{{{ATOM}}}published", post.published_at.isoformat())
        _sub(entry, f"{{{ATOM}}}summary", post.excerpt)
        _sub(entry, f"{{{ATOM}}}content", post.html, type="html")
        for tag in tags:
            _sub(entry, f"{{{ATOM}}}category", term=tag.slug, label=tag.name)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _urn(post: Post) -> str:
    return uuid.UUID(hex=post.id).urn


def _updated(items: Sequence[tuple[Post, list[Tag]]]) -> datetime:
    return max((post.updated_at for post, _ in items), default=utcnow())


Render = Callable[[Settings, Sequence[tuple[Post, list[Tag]]]], bytes]


def feed_routes(resources: Resources) -> list[Route]:
    def serve(render: Render, media_type: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            async with resources.sessions() as session:
                body = render(resources.settings, await _latest(session))
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
            if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
                return Response(status_code=304, headers=headers)
            return Response(body, media_type=media_type, headers=headers)

        return endpoint

    return [
        Route("/feeds/rss.xml", serve(rss, "application/rss+xml"), methods=["GET", "HEAD"]),
        Route("/feeds/atom.xml", serve(atom, "application/atom+xml"), methods=["GET", "HEAD"]),
    ]
