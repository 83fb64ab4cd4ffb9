"""Ghost posts, pages, tags and authors onto the blog's rows, idempotently by Ghost id.

One rule decides every write: a Ghost post or page is applied only when its
`updated_at` is newer than the one applied last (`posts.ghost_updated_at`). So
re-running an import or replaying a webhook delivery changes nothing and tells
the Fediverse nothing twice, and an older version never overwrites a newer one.
A deletion is final: Ghost never reuses ids, and `ghost_deletions` keeps a late
delivery from bringing a deleted post back.

Only what Ghost shows everyone is shown here: members-only posts keep their
content in Ghost, and internal tags (`#name`) are theme plumbing. Imported HTML
is sanitised like everything else; slugs are given once, as for local posts, so
a Ghost slug another post already holds gets the next free variant.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urljoin

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from shared.contracts import contracts
from shared.contracts.users import Authors
from shared.errors import BadUserInput, Conflict
from shared.validation import http_url
from subgraphs.blog import content, service
from subgraphs.blog.ghost_client import ContentAPI, Resource
from subgraphs.blog.models import Format, GhostAuthor, GhostDeletion, Kind, Post, Status, Tag

# What the Fediverse is told, by (public before, public now).
_VERBS = {(False, True): "Create", (True, True): "Update", (True, False): "Delete"}
_GHOST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    DELETED = "deleted"


class _Fields:
    """Reads one Ghost resource; every complaint names the resource and the field."""

    def __init__(self, kind: str, resource: dict[str, Any]) -> None:
        self.resource = resource
        ident, slug = resource.get("id"), resource.get("slug")
        self.label = f"Ghost {kind} {ident if isinstance(ident, str) else '(no id)'}" + (
            f" ({slug!r})" if isinstance(slug, str) else ""
        )

    def bad(self, problem: str) -> BadUserInput:
        return BadUserInput(f"{self.label}: {problem}")

    def id(self) -> str:
        value = self.resource.get("id")
        if not isinstance(value, str) or not _GHOST_ID.fullmatch(value):
            raise self.bad("id must be a string of up to 64 letters, digits, - or _")
        return value

    def raw(self, name: str) -> str | None:
        value = self.resource.get(name)
        if value is not None and not isinstance(value, str):
            raise self.bad(f"{name} must be a string or null, not {type(value).__name__}")
        return value

    def text(self, name: str, limit: int) -> str | None:
        """One line of text, tidied and cut to `limit`: Ghost allows longer titles than we store."""
        value = " ".join(content.printable(self.raw(name) or "").split())
        if len(value) > limit:
            value = value[: limit - 1].rstrip() + "…"
        return value or None

    def required_text(self, name: str, limit: int) -> str:
        value = self.text(name, limit)
        if value is None:
            raise self.bad(f"{name} is missing or empty")
        return value

    def time(self, name: str) -> datetime | None:
        value = self.raw(name)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise self.bad(f"{name} is not an ISO 8601 date: {value[:40]!r}") from None
        # Ghost stores UTC; a value without an offset means UTC.
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    def required_time(self, name: str) -> datetime:
        value = self.time(name)
        if value is None:
            raise self.bad(f"{name} is missing")
        return value

    def url(self, name: str) -> str | None:
        """An absolute http(s) URL, or None: a picture whose address is unusable is dropped, not fatal."""
        value = self.raw(name)
        if not value:
            return None
        # Ghost gives gravatars as //host/path and may give site-relative paths.
        base = self.resource.get("url")
        try:
            return http_url(urljoin(base, value) if isinstance(base, str) else value, field=name, label=name)
        except BadUserInput:
            return None

    def objects(self, name: str) -> list[dict[str, Any]]:
        value = self.resource.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.bad(f"{name} must be a list of objects")
        return value


@dataclass(frozen=True, slots=True)
class GhostDocument:
    """A Ghost post or page, read and checked, before anything is written."""

    ghost_id: str
    updated_at: datetime
    public: bool
    title: str
    slug: str
    html: str
    custom_excerpt: str | None
    feature_image: str | None
    published_at: datetime
    created_at: datetime
    tags: list[dict[str, Any]]
    author: dict[str, Any] | None

    @classmethod
    def read(cls, kind: Kind, resource: dict[str, Any]) -> GhostDocument:
        fields = _Fields(str(kind), resource)
        ghost_id = fields.id()
        updated_at = fields.required_time("updated_at")
        title = fields.required_text("title", 255)
        authors = fields.objects("authors")
        primary = resource.get("primary_author")
        return cls(
            ghost_id=ghost_id,
            updated_at=updated_at,
            # The Content API serves only published posts and carries no status; webhooks carry it.
            public=fields.raw("status") in (None, "published") and fields.raw("visibility") in (None, "public"),
            title=title,
            slug=_slug(fields.raw("slug"), title),
            html=fields.raw("html") or "",
            custom_excerpt=fields.text("custom_excerpt", service.MAX_EXCERPT),
            feature_image=fields.url("feature_image"),
            published_at=fields.time("published_at") or updated_at,
            created_at=fields.time("created_at") or updated_at,
            tags=fields.objects("tags"),
            author=primary if isinstance(primary, dict) else (authors[0] if authors else None),
        )


async def apply_author(session: AsyncSession, resource: dict[str, Any]) -> tuple[str, Outcome]:
    """The member a Ghost author is here, made once through the Authors contract (without an email)."""
    fields = _Fields("author", resource)
    ghost_id = fields.id()
    known = await session.get(GhostAuthor, ghost_id)
    if known is not None:
        return known.user_id, Outcome.UNCHANGED
    name = fields.required_text("name", 100)
    user_id = await contracts.get(Authors).create_author(
        session,
        handle_hint=fields.text("slug", 191) or name,
        display_name=name,
        avatar_url=fields.url("profile_image"),
    )
    session.add(GhostAuthor(ghost_id=ghost_id, user_id=user_id))
    await _flush(session, fields.label)
    return user_id, Outcome.CREATED


async def apply_tag(session: AsyncSession, resource: dict[str, Any]) -> tuple[Tag | None, Outcome]:
    """The tag a public Ghost tag is here. A local tag with the same slug is the same tag, and is adopted."""
    fields = _Fields("tag", resource)
    ghost_id = fields.id()
    if fields.raw("visibility") not in (None, "public"):
        return None, Outcome.SKIPPED
    name = fields.required_text("name", 191)
    description = fields.text("description", 500)
    tag = await session.scalar(select(Tag).where(Tag.ghost_id == ghost_id))
    if tag is None:
        slug = _slug(fields.raw("slug"), name)
        tag = await service.tag_by_slug(session, slug)
        if tag is None:
            [tag] = await service.ensure_tags(session, [name], [slug])
            tag.ghost_id, tag.description = ghost_id, description
            await _flush(session, fields.label)
            return tag, Outcome.CREATED
        if tag.ghost_id is not None:
            # Another Ghost tag already holds this slug (a rename in Ghost): both share it.
            return tag, Outcome.UNCHANGED
        tag.ghost_id = ghost_id
    elif (tag.name, tag.description) == (name, description):
        return tag, Outcome.UNCHANGED
    tag.name, tag.description = name, description
    await _flush(session, fields.label)
    return tag, Outcome.UPDATED


async def apply_document(session: AsyncSession, kind: Kind, resource: dict[str, Any], *, announce: bool) -> Outcome:
    """Bring one Ghost post or page here, if it is newer than what we have.

    With `announce`, the Fediverse hears of the change through the outbox: a
    post going public is a Create, a public post changing an Update, a public
    post going away a Delete. A bulk import passes False: history is not news.
    """
    document = GhostDocument.read(kind, resource)
    if await session.get(GhostDeletion, document.ghost_id) is not None:
        return Outcome.SKIPPED
    post = await session.scalar(select(Post).where(Post.ghost_id == document.ghost_id))
    if post is not None and post.ghost_updated_at is not None and document.updated_at <= post.ghost_updated_at:
        return Outcome.UNCHANGED
    if post is None and not document.public:
        return Outcome.SKIPPED
    creating = post is None
    was_public = post is not None and post.status == Status.PUBLISHED
    # Everything that queries comes first: a query flushes, and a post flushed twice would count two versions.
    author_id = (await apply_author(session, document.author))[0] if document.public and document.author else None
    if post is None:
        post = Post(
            kind=kind,
            ghost_id=document.ghost_id,
            slug=await service.free_slug(session, document.slug),
            created_at=document.created_at,
        )
        session.add(post)
    post.ghost_updated_at = post.updated_at = document.updated_at
    if document.public:
        _fill(post, document, author_id)
    else:
        # Unpublished, scheduled or members-only in Ghost: a draft here, its public copy left as it was.
        post.status, post.published_at = Status.DRAFT, None
    await _flush(session, f"Ghost {kind} {document.ghost_id}")
    if document.public and kind == Kind.POST:
        await _set_tags(session, post, document.tags)
    verb = _VERBS.get((was_public, document.public))
    if announce and verb is not None:
        await service.announce(session, post, verb)
    return Outcome.CREATED if creating else Outcome.UPDATED


async def delete_document(session: AsyncSession, kind: Kind, resource: dict[str, Any], *, announce: bool) -> Outcome:
    """Ghost deleted it (`resource` is what it was): remove it here, for good."""
    ghost_id = _Fields(str(kind), resource).id()
    if await session.get(GhostDeletion, ghost_id) is not None:
        return Outcome.UNCHANGED
    session.add(GhostDeletion(ghost_id=ghost_id))
    post = await session.scalar(select(Post).where(Post.ghost_id == ghost_id))
    if post is not None:
        if announce and post.status == Status.PUBLISHED:
            await service.announce(session, post, "Delete")
        await session.delete(post)
    await _flush(session, f"Ghost {kind} {ghost_id}")
    return Outcome.DELETED


def _slug(raw: str | None, name: str) -> str:
    """Ghost's slug when it is one by our rules too, else one made from the name."""
    if raw and content.SLUG.fullmatch(raw) and len(raw) <= content.MAX_SLUG:
        return raw
    return content.slugify(raw or name)


def _fill(post: Post, document: GhostDocument, author_id: str | None) -> None:
    post.title = document.title
    post.source, post.source_format = content.printable(document.html), Format.HTML
    post.html = content.render(post.source, Format.HTML)
    post.reading_time = content.reading_time(post.html)
    post.custom_excerpt = document.custom_excerpt
    post.excerpt = document.custom_excerpt or content.excerpt(post.html)
    post.feature_image = document.feature_image
    post.status, post.published_at = Status.PUBLISHED, document.published_at
    if author_id is not None:
        post.author_id = author_id


async def _set_tags(session: AsyncSession, post: Post, resources: list[dict[str, Any]]) -> None:
    """Ghost's tags in Ghost's order (the first is the primary one), internal ones left out."""
    tags: list[Tag] = []
    for resource in resources:
        tag, _ = await apply_tag(session, resource)
        if tag is not None and tag not in tags:
            tags.append(tag)
    await service.link_tags(session, post, tags)


async def _flush(session: AsyncSession, label: str) -> None:
    try:
        await session.flush()
    except (IntegrityError, StaleDataError):
        raise Conflict(f"{label} was being written by someone else at the same moment; try again") from None


# The bulk import

Progress = Callable[[Resource, int, int], None]
"""Told after each page: which resource, how many done, how many in all."""

Tally = dict[Resource, Counter[Outcome]]

_IMPORTERS: dict[Resource, Callable[[AsyncSession, dict[str, Any]], Awaitable[Outcome]]] = {
    "authors": lambda session, item: _second(apply_author(session, item)),
    "tags": lambda session, item: _second(apply_tag(session, item)),
    "posts": lambda session, item: apply_document(session, Kind.POST, item, announce=False),
    "pages": lambda session, item: apply_document(session, Kind.PAGE, item, announce=False),
}


async def _second(pending: Awaitable[tuple[Any, Outcome]]) -> Outcome:
    return (await pending)[1]


async def import_site(sessions: async_sessionmaker[AsyncSession], api: ContentAPI, progress: Progress) -> Tally:
    """Every author, tag, post and page of the site; each page of results commits on its own.

    A failure part-way leaves the pages before it whole; running again finds
    them unchanged and carries on from there.
    """
    tally: Tally = {}
    for resource, apply in _IMPORTERS.items():
        counts = tally[resource] = Counter()
        done = 0
        async for page in api.pages(resource):
            async with sessions() as session, session.begin():
                for item in page.items:
                    counts[await apply(session, item)] += 1
            done += len(page.items)
            progress(resource, done, page.total)
    return tally
