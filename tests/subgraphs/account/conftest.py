"""Fixtures for newsletters: a real SMTP server the platform mails through, and the blog's posts stood in for."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import ContractMissing, contracts
from shared.contracts.posts import PostSummary, PublishedPosts
from shared.resources import Resources
from tests.smtp_server import Mailbox, smtp_server

PUBLIC_URL = "https://coop.example"


@pytest.fixture
async def mailbox(resources: Resources) -> AsyncIterator[Mailbox]:
    """An SMTP server on 127.0.0.1 that the platform's settings point at, and a public URL for links."""
    async with smtp_server() as box:
        resources.settings = replace(
            resources.settings,
            smtp=box.server,
            public_url=PUBLIC_URL,
            mail_from="Rose Ash <news@coop.example>",
            # The web site at that address is a first-party client, as it would be by default there.
            oauth_first_party_clients={"web": (f"{PUBLIC_URL}/auth/callback",)},
        )
        yield box


class StandInPosts:
    """The account side of the PublishedPosts contract, tested against posts the test chooses."""

    def __init__(self) -> None:
        self.posts: list[PostSummary] = []

    def publish(self, post: PostSummary) -> None:
        self.posts.append(post)

    async def recent(self, session: AsyncSession, *, since: datetime | None, limit: int) -> list[PostSummary]:
        newest_first = sorted(self.posts, key=lambda p: p.published_at, reverse=True)
        return [p for p in newest_first if since is None or p.published_at > since][:limit]


@pytest.fixture
def posts() -> Iterator[StandInPosts]:
    """Stand in for the blog's implementation while the test runs; the blog's is put back after."""
    try:
        blog: PublishedPosts | None = contracts.get(PublishedPosts)
    except ContractMissing:
        blog = None
    stand_in = StandInPosts()
    try:
        # Inside the try: if registering fails (say the contract gained a method the stand-in lacks),
        # the blog's implementation must still be put back for the tests after this one.
        contracts.unregister(PublishedPosts)
        contracts.register(PublishedPosts, stand_in)
        yield stand_in
    finally:
        contracts.unregister(PublishedPosts)
        if blog is not None:
            contracts.register(PublishedPosts, blog)
