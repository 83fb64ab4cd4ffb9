"""Posts and pages: who sees what, the editor's changes and the publishing life cycle.

Drafts and scheduled posts are for editors' eyes; everyone else sees what is
published. Every change to something public writes an outbox row in the same
transaction, so the Fediverse hears of exactly the changes that committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from shared.auth import Viewer
from shared.db import utcnow
from shared.errors import BadUserInput, Conflict, Forbidden, NotFound, Unauthenticated
from shared.outbox import record_activity
from shared.pagination import Page, paginate
from shared.validation import http_url, line
from subgraphs.blog import content
from subgraphs.blog.models import Format, Kind, Post, PostTag, Status, Tag

MAX_TAGS = 10
MAX_SOURCE = 500_000
MAX_EXCERPT = 300
MAX_SCHEDULE_AHEAD = timedelta(days=5 * 366)


@dataclass(frozen=True, slots=True)
class Changes:
    """What an editor asks to set; None leaves a field as it is."""

    title: str | None = None
    body: str | None = None
    format: Format | None = None
    slug: str | None = None
    excerpt: str | None = None
    feature_image: str | None = None
    tags: Sequence[str] | None = None


def path(kind: str, slug: str) -> str:
    """Where a post or page lives on the site, relative to PUBLIC_URL (percent-encoded: slugs may be in any script)."""
    return f"/blog/{quote(slug)}/" if kind == Kind.POST else f"/pages/{quote(slug)}/"


def tag_path(slug: str) -> str:
    return f"/blog/tag/{quote(slug)}/"


def is_editor(viewer: Viewer) -> bool:
    return viewer.has_role("editor") or viewer.has_role("admin")


def require_editor(viewer: Viewer) -> None:
    if not viewer.is_authenticated:
        raise Unauthenticated("sign in as an editor to change the blog")
    if not is_editor(viewer):
        raise Forbidden("only editors may change the blog")


def is_visible(viewer: Viewer, post: Post) -> bool:
    return post.status == Status.PUBLISHED or is_editor(viewer)


# Reads


async def posts_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Post | None]:
    rows = (await session.scalars(select(Post).where(Post.id.in_(ids)))).all()
    found = {row.id: row for row in rows}
    return [found.get(i) for i in ids]


async def posts_by_slugs(session: AsyncSession, slugs: Sequence[str]) -> list[Post | None]:
    rows = (await session.scalars(select(Post).where(Post.slug.in_(slugs)))).all()
    found = {row.slug: row for row in rows}
    return [found.get(s) for s in slugs]


async def tags_for_posts(session: AsyncSession, post_ids: Sequence[str]) -> list[list[Tag]]:
    rows = await session.execute(
        select(PostTag.post_id, Tag)
        .join(Tag, Tag.id == PostTag.tag_id)
        .where(PostTag.post_id.in_(post_ids))
        .order_by(PostTag.position)
    )
    found: dict[str, list[Tag]] = {}
    for post_id, tag in rows:
        found.setdefault(post_id, []).append(tag)
    return [found.get(i, []) for i in post_ids]


async def post_counts(session: AsyncSession, tag_ids: Sequence[str]) -> list[int]:
    """Published posts per tag."""
    rows = await session.execute(
        select(PostTag.tag_id, func.count())
        .join(Post, Post.id == PostTag.post_id)
        .where(PostTag.tag_id.in_(tag_ids), Post.status == Status.PUBLISHED)
        .group_by(PostTag.tag_id)
    )
    counts: dict[str, int] = dict(rows.all())  # type: ignore[arg-type]
    return [counts.get(i, 0) for i in tag_ids]


async def list_posts(
    session: AsyncSession,
    viewer: Viewer,
    kind: Kind,
    first: int,
    after: str | None,
    *,
    status: Status | None = None,
    tag_id: str | None = None,
    author_id: str | None = None,
) -> Page[Post]:
    """Published ones newest first; editors may ask for drafts or scheduled ones, newest first by creation."""
    if status not in (None, Status.PUBLISHED) and not is_editor(viewer):
        raise Forbidden("only editors may list drafts and scheduled posts")
    statement: Select[Any] = select(Post).where(Post.kind == kind)
    if tag_id is not None:
        statement = statement.where(Post.id.in_(select(PostTag.post_id).where(PostTag.tag_id == tag_id)))
    if author_id is not None:
        statement = statement.where(Post.author_id == author_id)
    if status is None or status == Status.PUBLISHED:
        statement = statement.where(Post.status == Status.PUBLISHED)
        return await paginate(session, statement, Post.published_at, Post.id, first, after)
    statement = statement.where(Post.status == status)
    return await paginate(session, statement, Post.created_at, Post.id, first, after)


def _tags_for(viewer: Viewer) -> Select[Any]:
    """Editors see every tag; others only tags on something published, so a draft's tags stay private."""
    statement = select(Tag)
    if not is_editor(viewer):
        published = select(PostTag.tag_id).join(Post, Post.id == PostTag.post_id).where(Post.status == Status.PUBLISHED)
        statement = statement.where(Tag.id.in_(published))
    return statement


async def tag_by_slug(session: AsyncSession, slug: str) -> Tag | None:
    return await session.scalar(select(Tag).where(Tag.slug == slug))


async def visible_tag(session: AsyncSession, viewer: Viewer, slug: str) -> Tag | None:
    return await session.scalar(_tags_for(viewer).where(Tag.slug == slug))


async def list_tags(session: AsyncSession, viewer: Viewer, first: int, after: str | None) -> Page[Tag]:
    return await paginate(session, _tags_for(viewer), Tag.slug, Tag.id, first, after, descending=False)


# Changes


async def create(session: AsyncSession, viewer: Viewer, kind: Kind, changes: Changes) -> Post:
    require_editor(viewer)
    if changes.title is None:
        raise BadUserInput("a title is required", field="title")
    post = Post(kind=kind, status=Status.DRAFT, author_id=viewer.user_id, source="", html="", version=1)
    await _apply(session, post, changes, creating=True)
    session.add(post)
    await _flush(session, post)
    if changes.tags is not None:
        await _set_tags(session, post, changes.tags)
    return post


async def update(
    session: AsyncSession, viewer: Viewer, kind: Kind, post_id: str, expected_version: int, changes: Changes
) -> Post:
    require_editor(viewer)
    post = await _get(session, kind, post_id)
    if post.version != expected_version:
        raise Conflict(
            f"this {kind} was changed by someone else: it is at version {post.version}, "
            f"your edit was made on version {expected_version}; reload and try again",
            field="expectedVersion",
        )
    before = post.version
    await _apply(session, post, changes, creating=False)
    if changes.tags is not None and await _tags_differ(session, post, changes.tags):
        post.updated_at = utcnow()  # a tag change is a change of the post: it bumps the version too
    # The post row first: its version check (and, on PostgreSQL, its row lock) decides
    # which of two concurrent editors goes on to touch the tags.
    await _flush(session, post)
    if changes.tags is not None:
        await _set_tags(session, post, changes.tags)
    if post.version != before and post.status == Status.PUBLISHED:
        await announce(session, post, "Update")
    return post


async def publish(session: AsyncSession, viewer: Viewer, kind: Kind, post_id: str) -> Post:
    """Make it public now. Publishing what is already public changes nothing."""
    require_editor(viewer)
    post = await _get(session, kind, post_id)
    if post.status == Status.PUBLISHED:
        return post
    post.status = Status.PUBLISHED
    post.published_at = utcnow()
    await _flush(session, post)
    await announce(session, post, "Create")
    return post


async def schedule(session: AsyncSession, viewer: Viewer, kind: Kind, post_id: str, at: datetime) -> Post:
    require_editor(viewer)
    if at.tzinfo is None:
        raise BadUserInput("the time must carry a zone offset, e.g. 2027-01-01T09:00:00Z", field="at")
    if at <= utcnow():
        raise BadUserInput("the time to publish must be in the future", field="at")
    if at > utcnow() + MAX_SCHEDULE_AHEAD:
        raise BadUserInput("a post can be scheduled at most five years ahead", field="at")
    post = await _get(session, kind, post_id)
    if post.status == Status.PUBLISHED:
        raise Conflict(f"this {kind} is already published; unpublish it first to schedule it")
    post.status = Status.SCHEDULED
    post.published_at = at
    await _flush(session, post)
    return post


async def unpublish(session: AsyncSession, viewer: Viewer, kind: Kind, post_id: str) -> Post:
    """Back to a draft; the Fediverse is told the post is gone if it was public."""
    require_editor(viewer)
    post = await _get(session, kind, post_id)
    was_public = post.status == Status.PUBLISHED
    post.status = Status.DRAFT
    post.published_at = None
    await _flush(session, post)
    if was_public:
        await announce(session, post, "Delete")
    return post


async def remove(session: AsyncSession, viewer: Viewer, kind: Kind, post_id: str) -> None:
    require_editor(viewer)
    post = await _get(session, kind, post_id)
    if post.status == Status.PUBLISHED:
        await announce(session, post, "Delete")
    await session.delete(post)
    await session.flush()


async def publish_due(session: AsyncSession, now: datetime | None = None) -> list[Post]:
    """Publish the scheduled posts whose time has come; the caller commits."""
    due = (
        await session.scalars(
            select(Post)
            .where(Post.status == Status.SCHEDULED, Post.published_at <= (now or utcnow()))
            .with_for_update(skip_locked=True)
        )
    ).all()
    for post in due:
        post.status = Status.PUBLISHED
        await _flush(session, post)
        await announce(session, post, "Create")
    return list(due)


# Helpers


async def _get(session: AsyncSession, kind: Kind, post_id: str) -> Post:
    post = await session.get(Post, post_id)
    if post is None or post.kind != kind:
        raise NotFound(f"no {kind} with this id", id=post_id)
    return post


async def _apply(session: AsyncSession, post: Post, changes: Changes, *, creating: bool) -> None:
    if changes.title is not None:
        post.title = line(changes.title, field="title", label="title", max_length=255)
    if changes.body is not None or changes.format is not None:
        source = content.printable(changes.body) if changes.body is not None else post.source
        if len(source) > MAX_SOURCE:
            raise BadUserInput(f"the body must be at most {MAX_SOURCE} characters", field="body")
        post.source = source
        post.source_format = changes.format or post.source_format or Format.MARKDOWN
        post.html = content.render(post.source, post.source_format)
        post.reading_time = content.reading_time(post.html)
    if changes.excerpt is not None:
        custom = content.printable(changes.excerpt).strip()
        if len(custom) > MAX_EXCERPT:
            raise BadUserInput(f"the excerpt must be at most {MAX_EXCERPT} characters", field="excerpt")
        post.custom_excerpt = custom or None
    post.excerpt = post.custom_excerpt or content.excerpt(post.html)
    if changes.feature_image is not None:
        image = changes.feature_image.strip()
        post.feature_image = http_url(image, field="featureImage", label="feature image") if image else None
    if changes.slug is not None:
        post.slug = await _claim_slug(session, changes.slug, post)
    elif creating:
        post.slug = await free_slug(session, content.slugify(post.title))
    if changes.tags is not None and post.kind == Kind.PAGE:
        raise BadUserInput("pages have no tags", field="tags")


async def _claim_slug(session: AsyncSession, raw: str, post: Post) -> str:
    slug = raw.strip().lower()
    if not content.SLUG.fullmatch(slug) or len(slug) > content.MAX_SLUG:
        raise BadUserInput(
            f"a slug is up to {content.MAX_SLUG} lowercase letters and digits joined by single hyphens", field="slug"
        )
    holder = await session.scalar(select(Post.id).where(Post.slug == slug))
    if holder is not None and holder != post.id:
        raise Conflict(f"the slug {slug!r} is taken", field="slug")
    return slug


async def free_slug(session: AsyncSession, base: str) -> str:
    """`base`, or `base-2`, `base-3`... whichever is free first. A slug never changes once given."""
    taken = set(
        (await session.scalars(select(Post.slug).where(or_(Post.slug == base, Post.slug.like(f"{base}-%"))))).all()
    )
    return _first_free(base, taken)


def _first_free(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _tag_names(names: Sequence[str]) -> list[str]:
    """The names asked for, checked, each once (ignoring case), in order."""
    wanted: dict[str, str] = {}
    for raw in names:
        name = line(raw, field="tags", label="a tag name", max_length=191)
        wanted.setdefault(name.casefold(), name)
    if len(wanted) > MAX_TAGS:
        raise BadUserInput(f"a post has at most {MAX_TAGS} tags", field="tags")
    return list(wanted.values())


async def _tags_differ(session: AsyncSession, post: Post, names: Sequence[str]) -> bool:
    [current] = await tags_for_posts(session, [post.id])
    return [tag.name.casefold() for tag in current] != [name.casefold() for name in _tag_names(names)]


async def _set_tags(session: AsyncSession, post: Post, names: Sequence[str]) -> None:
    await link_tags(session, post, await ensure_tags(session, _tag_names(names)))


async def link_tags(session: AsyncSession, post: Post, tags: Sequence[Tag]) -> None:
    """Make `tags` the post's tags, in this order."""
    post_id, kind = post.id, post.kind
    await session.execute(delete(PostTag).where(PostTag.post_id == post_id))
    session.add_all(PostTag(post_id=post_id, tag_id=tag.id, position=i) for i, tag in enumerate(tags))
    try:
        await session.flush()
    except IntegrityError:  # another editor's change to this post won the race
        raise Conflict(f"this {kind} was changed by someone else meanwhile; reload and try again") from None


async def ensure_tags(session: AsyncSession, names: Sequence[str], slugs: Sequence[str] | None = None) -> list[Tag]:
    """The tags with these names (ignoring case), in this order, creating the missing ones.

    A new tag's slug comes from `slugs` when given (an import keeps its source's), else from its name;
    when another tag already has that slug ("C++" and "C" both make "c"), the new one gets a free variant.
    """
    folded = [name.casefold() for name in names]
    existing = {
        tag.name.casefold(): tag
        for tag in (await session.scalars(select(Tag).where(func.lower(Tag.name).in_(folded)))).all()
    }
    for n, name in enumerate(names):
        if name.casefold() not in existing:
            base = slugs[n] if slugs else content.slugify(name)
            tag = Tag(slug=await _free_tag_slug(session, base), name=name)
            session.add(tag)
            existing[name.casefold()] = tag
            try:
                await session.flush()
            except IntegrityError:  # another editor created it a moment ago
                raise Conflict("a tag was created at the same moment; try again", field="tags") from None
    return [existing[key] for key in folded]


async def _free_tag_slug(session: AsyncSession, base: str) -> str:
    similar = select(Tag.slug).where(or_(Tag.slug == base, Tag.slug.like(f"{base}-%")))
    return _first_free(base, set((await session.scalars(similar)).all()))


async def _flush(session: AsyncSession, post: Post) -> None:
    # Read before flushing: after a failed flush the row's attributes cannot be loaded.
    kind, slug = post.kind, post.slug
    try:
        await session.flush()
    except StaleDataError:
        raise Conflict(f"this {kind} was changed by someone else meanwhile; reload and try again") from None
    except IntegrityError:
        raise Conflict(f"the slug {slug!r} was taken a moment ago; try again", field="slug") from None


async def announce(session: AsyncSession, post: Post, verb: str) -> None:
    """Tell the Fediverse, through the outbox, about a change to a public post. Pages are not federated."""
    if post.kind != Kind.POST:
        return
    await record_activity(
        session,
        actor="blog",
        verb=verb,
        object_type="Article",
        object_id=post.id,
        payload={"slug": post.slug, "title": post.title, "path": path(post.kind, post.slug), "version": post.version},
    )
