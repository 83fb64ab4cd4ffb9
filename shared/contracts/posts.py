"""Published blog posts, as other domains may read them (the account domain's newsletter issues)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class PostSummary:
    id: str
    slug: str
    title: str
    excerpt: str
    # Where the post lives, relative to the platform's PUBLIC_URL: the blog owns its URLs.
    path: str
    feature_image: str | None
    published_at: datetime


@runtime_checkable
class PublishedPosts(Protocol):
    async def recent(self, session: AsyncSession, *, since: datetime | None, limit: int) -> list[PostSummary]:
        """Published posts, newest first, published after `since` when given."""
        ...


@runtime_checkable
class PostStatistics(Protocol):
    async def published_count(self, session: AsyncSession) -> int:
        """How many posts are published (what NodeInfo reports as local posts)."""
        ...
