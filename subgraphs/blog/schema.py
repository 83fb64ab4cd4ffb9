"""The blog subgraph's GraphQL types: `Post @key(id) @key(slug)`, pages, tags, menus, and `User.posts`."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.dataloader import DataLoader

from shared.connections import Connection, connection
from shared.context import Context
from shared.errors import BadUserInput
from shared.graphql import WRITE, federation_schema
from subgraphs.blog import menus, service
from subgraphs.blog.models import Format, Kind, Status
from subgraphs.blog.models import Post as PostRow
from subgraphs.blog.models import Tag as TagRow

Info = strawberry.Info[Context, None]


@strawberry.enum
class PostStatus(Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"


@strawberry.enum
class BodyFormat(Enum):
    MARKDOWN = "markdown"
    HTML = "html"


def _posts_by_id(info: Info) -> DataLoader[str, PostRow | None]:
    context = info.context
    return context.loader("posts", lambda ids: service.posts_by_ids(context.session, ids))


def _posts_by_slug(info: Info) -> DataLoader[str, PostRow | None]:
    context = info.context
    return context.loader("posts-by-slug", lambda slugs: service.posts_by_slugs(context.session, slugs))


def _tags_of(info: Info) -> DataLoader[str, list[TagRow]]:
    context = info.context
    return context.loader("post-tags", lambda ids: service.tags_for_posts(context.session, ids))


def _post_counts(info: Info) -> DataLoader[str, int]:
    context = info.context
    return context.loader("tag-post-counts", lambda ids: service.post_counts(context.session, ids))


def _visible(info: Info, row: PostRow | None, kind: Kind) -> PostRow | None:
    if row is None or row.kind != kind or not service.is_visible(info.context.viewer, row):
        return None
    return row


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID

    @strawberry.field(description="The user's published posts, newest first.")
    async def posts(self, info: Info, first: int = 10, after: str | None = None) -> Connection[Post]:
        page = await service.list_posts(
            info.context.session, info.context.viewer, Kind.POST, first, after, author_id=str(self.id)
        )
        return connection(page, Post.from_row)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return cls(id=id)


@strawberry.type
class Document:
    """What posts and pages share. Not in the schema itself: Post and Page each carry these fields."""

    id: strawberry.ID
    slug: str
    title: str
    excerpt: str = strawberry.field(description="The editor's own excerpt, or the start of the text.")
    feature_image: str | None
    html: str = strawberry.field(description="The body, sanitised: safe to put in a page as it is.")
    status: PostStatus
    published_at: datetime | None = strawberry.field(description="When it went public, or will if scheduled.")
    reading_time: int = strawberry.field(description="Minutes, at least one.")
    created_at: datetime
    updated_at: datetime
    version: int = strawberry.field(description="Give it back as expectedVersion when updating.")
    _row: strawberry.Private[PostRow]

    @strawberry.field(description="The address on the site.")
    def url(self, info: Info) -> str:
        return info.context.settings.public_url + service.path(self._row.kind, self.slug)

    @strawberry.field(description="What the editor wrote, Markdown or HTML. Editors only; null for others.")
    def source(self, info: Info) -> str | None:
        return self._row.source if service.is_editor(info.context.viewer) else None

    @strawberry.field(description="How `source` is written.")
    def format(self) -> BodyFormat:
        return BodyFormat(self._row.source_format)

    @strawberry.field(description="Who wrote it.")
    def author(self) -> User | None:
        return User(id=strawberry.ID(self._row.author_id)) if self._row.author_id else None

    @classmethod
    def fields_of(cls, row: PostRow) -> dict[str, object]:
        return {
            "id": strawberry.ID(row.id),
            "slug": row.slug,
            "title": row.title,
            "excerpt": row.excerpt,
            "feature_image": row.feature_image,
            "html": row.html,
            "status": PostStatus(row.status),
            "published_at": row.published_at,
            "reading_time": row.reading_time,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
            "version": row.version,
            "_row": row,
        }


@strawberry.federation.type(keys=["id", "slug"])
class Post(Document):
    @strawberry.field(description="In the editor's order; the first is the primary tag.")
    async def tags(self, info: Info) -> list[Tag]:
        return [Tag.from_row(row) for row in await _tags_of(info).load(self._row.id)]

    @classmethod
    def from_row(cls, row: PostRow) -> Post:
        return cls(**Document.fields_of(row))  # type: ignore[arg-type]

    @classmethod
    async def resolve_reference(
        cls, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> Post | None:
        row = await (_posts_by_id(info).load(str(id)) if id is not None else _posts_by_slug(info).load(slug or ""))
        visible = _visible(info, row, Kind.POST)
        return cls.from_row(visible) if visible else None


@strawberry.type(description="A standalone page (About, Contact...): a post outside the feed, without tags.")
class Page(Document):
    @classmethod
    def from_row(cls, row: PostRow) -> Page:
        return cls(**Document.fields_of(row))  # type: ignore[arg-type]


@strawberry.type
class Tag:
    id: strawberry.ID
    slug: str
    name: str
    description: str | None
    _row: strawberry.Private[TagRow]

    @strawberry.field(description="The tag's page on the site.")
    def url(self, info: Info) -> str:
        return info.context.settings.public_url + service.tag_path(self.slug)

    @strawberry.field(description="How many published posts carry it.")
    async def post_count(self, info: Info) -> int:
        return await _post_counts(info).load(self._row.id)

    @strawberry.field(description="Its published posts, newest first.")
    async def posts(self, info: Info, first: int = 10, after: str | None = None) -> Connection[Post]:
        page = await service.list_posts(
            info.context.session, info.context.viewer, Kind.POST, first, after, tag_id=self._row.id
        )
        return connection(page, Post.from_row)

    @classmethod
    def from_row(cls, row: TagRow) -> Tag:
        return cls(id=strawberry.ID(row.id), slug=row.slug, name=row.name, description=row.description, _row=row)


@strawberry.type
class MenuItem:
    id: strawberry.ID
    label: str
    url: str = strawberry.field(description="A /path on the site, or an absolute link elsewhere.")
    children: list[MenuItem]

    @classmethod
    def from_entry(cls, entry: menus.Entry) -> MenuItem:
        return cls(
            id=strawberry.ID(entry.id or ""),
            label=entry.label,
            url=entry.url,
            children=[cls.from_entry(child) for child in entry.children],
        )


@strawberry.input(description="What to set; a field left out stays as it is. A new post or page needs a title.")
class ContentInput:
    title: str | None = None
    body: str | None = strawberry.field(default=None, description="Markdown or HTML, as `format` says.")
    format: BodyFormat | None = strawberry.field(default=None, description="MARKDOWN unless given.")
    slug: str | None = strawberry.field(default=None, description="Derived from the title when a post is created.")
    excerpt: str | None = strawberry.field(default=None, description="Up to 300 characters; empty to derive it.")
    feature_image: str | None = strawberry.field(default=None, description="An http(s) URL; empty to remove it.")
    tags: list[str] | None = strawberry.field(default=None, description="Tag names, created when new. Posts only.")

    def changes(self) -> service.Changes:
        return service.Changes(
            title=self.title,
            body=self.body,
            format=Format(self.format.value) if self.format else None,
            slug=self.slug,
            excerpt=self.excerpt,
            feature_image=self.feature_image,
            tags=self.tags,
        )


@strawberry.input
class MenuItemInput:
    label: str
    url: str
    children: list[MenuItemInput] = strawberry.field(default_factory=list)

    def entry(self) -> menus.Entry:
        return menus.Entry(label=self.label, url=self.url, children=[child.entry() for child in self.children])


@strawberry.type
class Deleted:
    id: strawberry.ID


def _status(status: PostStatus | None) -> Status | None:
    return Status(status.value) if status else None


@strawberry.type
class Query:
    @strawberry.field(description="A post by id or by slug (exactly one). Drafts only for editors.")
    async def post(self, info: Info, id: strawberry.ID | None = None, slug: str | None = None) -> Post | None:
        if (id is None) == (slug is None):
            raise BadUserInput("give exactly one of id and slug", field="id")
        return await Post.resolve_reference(info, id=id, slug=slug)

    @strawberry.field(
        description="Published posts, newest first; editors may ask for drafts or scheduled posts instead."
    )
    async def posts(
        self,
        info: Info,
        first: int = 10,
        after: str | None = None,
        tag: str | None = None,
        status: PostStatus | None = None,
    ) -> Connection[Post]:
        session, viewer = info.context.session, info.context.viewer
        tag_id = None
        if tag is not None:
            found = await service.visible_tag(session, viewer, tag)
            if found is None:
                raise BadUserInput(f"no tag with the slug {tag!r}", field="tag")
            tag_id = found.id
        page = await service.list_posts(session, viewer, Kind.POST, first, after, status=_status(status), tag_id=tag_id)
        return connection(page, Post.from_row)

    @strawberry.field(description="A page by slug. Drafts only for editors.")
    async def page(self, info: Info, slug: str) -> Page | None:
        row = _visible(info, await _posts_by_slug(info).load(slug), Kind.PAGE)
        return Page.from_row(row) if row else None

    @strawberry.field(description="Published pages, newest first; editors may ask for other statuses.")
    async def pages(
        self, info: Info, first: int = 10, after: str | None = None, status: PostStatus | None = None
    ) -> Connection[Page]:
        page = await service.list_posts(
            info.context.session, info.context.viewer, Kind.PAGE, first, after, status=_status(status)
        )
        return connection(page, Page.from_row)

    @strawberry.field
    async def tag(self, info: Info, slug: str) -> Tag | None:
        row = await service.visible_tag(info.context.session, info.context.viewer, slug)
        return Tag.from_row(row) if row else None

    @strawberry.field(description="Every tag, by slug.")
    async def tags(self, info: Info, first: int = 50, after: str | None = None) -> Connection[Tag]:
        page = await service.list_tags(info.context.session, info.context.viewer, first, after)
        return connection(page, Tag.from_row)

    @strawberry.field(description="A navigation menu as a tree; empty if it has no items.")
    async def menu(self, info: Info, name: str = "primary") -> list[MenuItem]:
        return [MenuItem.from_entry(entry) for entry in await menus.menu(info.context.session, name)]


@strawberry.type
class Mutation:
    @strawberry.mutation(directives=WRITE, description="Start a draft post. Editors only.")
    async def create_post(self, info: Info, input: ContentInput) -> Post:
        async with info.context.transaction() as session:
            row = await service.create(session, info.context.viewer, Kind.POST, input.changes())
        return Post.from_row(row)

    @strawberry.mutation(
        directives=WRITE, description="Change a post saved at `expectedVersion`; CONFLICT if it moved on since."
    )
    async def update_post(self, info: Info, id: strawberry.ID, expected_version: int, input: ContentInput) -> Post:
        async with info.context.transaction() as session:
            row = await service.update(
                session, info.context.viewer, Kind.POST, str(id), expected_version, input.changes()
            )
        return Post.from_row(row)

    @strawberry.mutation(directives=WRITE, description="Make a post public now. Editors only.")
    async def publish_post(self, info: Info, id: strawberry.ID) -> Post:
        async with info.context.transaction() as session:
            row = await service.publish(session, info.context.viewer, Kind.POST, str(id))
        return Post.from_row(row)

    @strawberry.mutation(directives=WRITE, description="Publish a draft at a future time. Editors only.")
    async def schedule_post(self, info: Info, id: strawberry.ID, at: datetime) -> Post:
        async with info.context.transaction() as session:
            row = await service.schedule(session, info.context.viewer, Kind.POST, str(id), at)
        return Post.from_row(row)

    @strawberry.mutation(directives=WRITE, description="Take a post back to draft. Editors only.")
    async def unpublish_post(self, info: Info, id: strawberry.ID) -> Post:
        async with info.context.transaction() as session:
            row = await service.unpublish(session, info.context.viewer, Kind.POST, str(id))
        return Post.from_row(row)

    @strawberry.mutation(directives=WRITE, description="Delete a post for good. Editors only.")
    async def delete_post(self, info: Info, id: strawberry.ID) -> Deleted:
        async with info.context.transaction() as session:
            await service.remove(session, info.context.viewer, Kind.POST, str(id))
        return Deleted(id=id)

    @strawberry.mutation(directives=WRITE, description="Start a draft page. Editors only.")
    async def create_page(self, info: Info, input: ContentInput) -> Page:
        async with info.context.transaction() as session:
            row = await service.create(session, info.context.viewer, Kind.PAGE, input.changes())
        return Page.from_row(row)

    @strawberry.mutation(
        directives=WRITE, description="Change a page saved at `expectedVersion`; CONFLICT if it moved on since."
    )
    async def update_page(self, info: Info, id: strawberry.ID, expected_version: int, input: ContentInput) -> Page:
        async with info.context.transaction() as session:
            row = await service.update(
                session, info.context.viewer, Kind.PAGE, str(id), expected_version, input.changes()
            )
        return Page.from_row(row)

    @strawberry.mutation(directives=WRITE, description="Make a page public now. Editors only.")
    async def publish_page(self, info: Info, id: strawberry.ID) -> Page:
        async with info.context.transaction() as session:
            row = await service.publish(session, info.context.viewer, Kind.PAGE, str(id))
        return Page.from_row(row)

    @strawberry.mutation(directives=WRITE, description="Take a page back to draft. Editors only.")
    async def unpublish_page(self, info: Info, id: strawberry.ID) -> Page:
        async with info.context.transaction() as session:
            row = await service.unpublish(session, info.context.viewer, Kind.PAGE, str(id))
        return Page.from_row(row)

    @strawberry.mutation(directives=WRITE, description="Delete a page for good. Editors only.")
    async def delete_page(self, info: Info, id: strawberry.ID) -> Deleted:
        async with info.context.transaction() as session:
            await service.remove(session, info.context.viewer, Kind.PAGE, str(id))
        return Deleted(id=id)

    @strawberry.mutation(directives=WRITE, description="Replace a navigation menu whole. Editors only.")
    async def set_menu(self, info: Info, name: str, items: list[MenuItemInput]) -> list[MenuItem]:
        async with info.context.transaction() as session:
            entries = await menus.set_menu(session, info.context.viewer, name, [item.entry() for item in items])
        return [MenuItem.from_entry(entry) for entry in entries]


schema = federation_schema(Query, Mutation, types=[User, Post])
