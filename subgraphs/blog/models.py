"""The blog subgraph's tables: posts and pages, tags, navigation menus, and what Ghost sync remembers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, UTCDateTime, new_id, utcnow


class Kind(StrEnum):
    POST = "post"
    PAGE = "page"


class Status(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"


class Format(StrEnum):
    MARKDOWN = "markdown"
    HTML = "html"


class Post(Base):
    """A post or a page: the same document with the same life cycle; pages have no tags and stay out of feeds."""

    __tablename__ = "posts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(8), default=Kind.POST)
    # Posts and pages share one URL namespace on the site, so one unique slug across both.
    slug: Mapped[str] = mapped_column(String(191), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(Text, default="")
    source_format: Mapped[str] = mapped_column(String(16), default=Format.MARKDOWN)
    # Sanitised at write time, so reads only ever serve safe HTML.
    html: Mapped[str] = mapped_column(Text, default="")
    custom_excerpt: Mapped[str | None] = mapped_column(String(500))
    excerpt: Mapped[str] = mapped_column(String(500), default="")
    reading_time: Mapped[int] = mapped_column(Integer, default=1)
    feature_image: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default=Status.DRAFT)
    # When it went (or goes, if scheduled) public.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The federation subgraph's user id; no foreign key across domains.
    author_id: Mapped[str | None] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Where a post imported from Ghost came from, so sync is idempotent.
    ghost_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    ghost_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Optimistic concurrency: every UPDATE checks and bumps the version, so two
    # editors saving from the same version cannot both win.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        Index("ix_posts_listing", "kind", "status", "published_at"),
        Index("ix_posts_created_at", "created_at"),
    )


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(191), unique=True)
    name: Mapped[str] = mapped_column(String(191))
    description: Mapped[str | None] = mapped_column(Text)
    ghost_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostTag(Base):
    __tablename__ = "post_tags"

    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[str] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True)
    # The first tag is the primary one, as in Ghost.
    position: Mapped[int] = mapped_column(Integer, default=0)


class MenuItem(Base):
    """One entry of a navigation menu; children hang off their parent, in position order."""

    __tablename__ = "menu_items"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    menu: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("menu_items.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_menu_items_menu_position", "menu", "position"),)


class GhostAuthor(Base):
    """A Ghost author and the member they became here: the users table is another domain's, so the map is ours."""

    __tablename__ = "ghost_authors"

    ghost_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GhostDeletion(Base):
    """A Ghost post or page deleted there. Ghost never reuses ids, so a late or replayed delivery
    about it must not bring it back."""

    __tablename__ = "ghost_deletions"

    ghost_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
