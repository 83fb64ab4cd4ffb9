"""The blog's side of the contracts other domains call."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import ContractRegistry
from shared.contracts.posts import PostStatistics, PostSummary, PublishedPosts
from subgraphs.blog import service
from subgraphs.blog.models import Kind, Post, Status


class BlogPublishedPosts:
    async def recent(self, session: AsyncSession, *, since: datetime | None, limit: int) -> list[PostSummary]:
        statement = select(Post).where(Post.kind == Kind.POST, Post.status == Status.PUBLISHED)
        if since is not None:
            statement = statement.where(Post.published_at > since)
        rows = (await session.scalars(statement.order_by(Post.published_at.desc(), Post.id.desc()).limit(limit))).all()
        return [
            PostSummary(
                id=row.id,
                slug=row.slug,
                title=row.title,
                excerpt=row.excerpt,
                path=service.path(row.kind, row.slug),
                feature_image=row.feature_image,
                published_at=row.published_at or row.created_at,
            )
            for row in rows
        ]


class BlogPostStatistics:
    async def published_count(self, session: AsyncSession) -> int:
        published = (Post.kind == Kind.POST, Post.status == Status.PUBLISHED)
        return await session.scalar(select(func.count()).select_from(Post).where(*published)) or 0


PUBLISHED_POSTS = BlogPublishedPosts()
POST_STATISTICS = BlogPostStatistics()


def register(registry: ContractRegistry) -> None:
    registry.register(PublishedPosts, PUBLISHED_POSTS)
    registry.register(PostStatistics, POST_STATISTICS)
