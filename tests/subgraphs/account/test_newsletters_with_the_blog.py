"""End to end with the real blog: its published posts make the issue, and the platform serves the mailed links."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update

from roseash.embedded import create_platform_app
from shared.db import utcnow
from shared.resources import Resources
from subgraphs.account.sending import send_newsletter_mail
from subgraphs.blog.models import Post
from subgraphs.blog.scheduler import publish_scheduled
from subgraphs.blog.schema import schema as blog_schema
from tests.smtp_server import Mailbox
from tests.subgraphs.account.conftest import PUBLIC_URL
from tests.subgraphs.account.newsletter_support import (
    ADMIN,
    SEND,
    SUBSCRIBE,
    confirm_link,
    create_newsletter,
    error_of,
    run,
    subscribe_and_confirm,
    subscriber_count,
    unsubscribe_link,
)
from tests.subgraphs.graphql import editor, execute

WRITER = editor("e1")


async def write(resources: Resources, title: str, body: str = "") -> str:
    created = await execute(
        blog_schema,
        resources,
        "mutation($input: ContentInput!) { createPost(input: $input) { id } }",
        WRITER,
        input={"title": title, "body": body},
    )
    return str(created["data"]["createPost"]["id"])


async def publish(resources: Resources, title: str, body: str) -> None:
    post_id = await write(resources, title, body)
    published = await execute(
        blog_schema, resources, "mutation($id: ID!) { publishPost(id: $id) { id } }", WRITER, id=post_id
    )
    assert "errors" not in published, published


async def test_an_issue_of_the_blogs_posts_from_subscribing_to_unsubscribing(
    resources: Resources, mailbox: Mailbox
) -> None:
    newsletter_id = await create_newsletter(resources)
    platform = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_platform_app(resources)), base_url=PUBLIC_URL)
    async with platform:
        await run(resources, SUBSCRIBE, id=newsletter_id, email="ada@example.org")
        await send_newsletter_mail(resources)
        # The mailed link works where it points: the platform's /newsletters, where its button confirms.
        confirmed = await platform.post(confirm_link(mailbox.to("ada@example.org")[0]))
        assert confirmed.status_code == 200
        assert await subscriber_count(resources, newsletter_id) == 1
        await publish(resources, "Winter vegetables at the market", "Leeks, kale & *squash* are in.")
        await execute(blog_schema, resources, 'mutation { createPost(input: {title: "A draft"}) { id } }', WRITER)
        issue = (await run(resources, SEND, ADMIN, id=newsletter_id))["data"]["sendNewsletterIssue"]
        assert issue["subject"] == "Weekly digest #1: Winter vegetables at the market"
        assert f'href="{PUBLIC_URL}/blog/winter-vegetables-at-the-market/"' in issue["html"]
        assert "Leeks, kale &amp; squash are in." in issue["html"]
        assert "A draft" not in issue["html"]
        await send_newsletter_mail(resources)
        mail = mailbox.to("ada@example.org")[-1]
        assert mail["Subject"] == issue["subject"]
        left = await platform.post(unsubscribe_link(mail), data={"List-Unsubscribe": "One-Click"})
        assert left.status_code == 200
    assert await subscriber_count(resources, newsletter_id) == 0


async def test_a_scheduled_post_the_worker_publishes_late_is_in_the_next_issue(
    resources: Resources, mailbox: Mailbox
) -> None:
    newsletter_id = await create_newsletter(resources)
    await subscribe_and_confirm(resources, mailbox, newsletter_id, "ada@example.org")
    late = await write(resources, "Scheduled for nine")
    at = (utcnow() + timedelta(hours=1)).isoformat()
    schedule = "mutation($id: ID!, $at: DateTime!) { schedulePost(id: $id, at: $at) { id } }"
    scheduled = await execute(blog_schema, resources, schedule, WRITER, id=late, at=at)
    assert "errors" not in scheduled, scheduled
    # Nine o'clock passes; before the worker publishes the post, another goes out by hand, and an issue.
    async with resources.sessions() as session, session.begin():
        await session.execute(update(Post).where(Post.id == late).values(published_at=utcnow() - timedelta(minutes=1)))
    await publish(resources, "Published by hand", "Now.")
    first = (await run(resources, SEND, ADMIN, id=newsletter_id))["data"]["sendNewsletterIssue"]
    assert first["subject"] == "Weekly digest #1: Published by hand"
    # The worker publishes it with its scheduled time, older than the post the issue had.
    assert await publish_scheduled(resources) == 1
    second = (await run(resources, SEND, ADMIN, id=newsletter_id))["data"]["sendNewsletterIssue"]
    assert second["subject"] == "Weekly digest #2: Scheduled for nine"
    assert error_of(await run(resources, SEND, ADMIN, id=newsletter_id))["code"] == "CONFLICT"
