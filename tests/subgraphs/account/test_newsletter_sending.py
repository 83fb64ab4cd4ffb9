"""Sending an issue: built from the blog's new posts, mailed through the worker, retried, never sent twice."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from shared.auth import ANONYMOUS, Viewer
from shared.db import utcnow
from shared.queue import QueueStatus
from shared.resources import Resources
from subgraphs.account.issues import LOOKBACK, MAX_POSTS
from subgraphs.account.models import Delivery, Subscription
from subgraphs.account.sending import CHECK_EVERY, GIVE_UP_AFTER, send_newsletter_mail
from tests.roseash.test_cli import free_port
from tests.smtp_server import Mailbox
from tests.subgraphs.account.conftest import PUBLIC_URL, StandInPosts
from tests.subgraphs.account.newsletter_support import (
    ADMIN,
    SEND,
    SUBSCRIBE,
    create_newsletter,
    error_of,
    post,
    run,
    subscribe_and_confirm,
    table_counts,
    unsubscribe_link,
)
from tests.subgraphs.graphql import editor, member

ISSUES = """query($id: ID!) {
  newsletter(id: $id) { issues { edges { node { number subject deliveries { pending sent failed } } } } }
}"""


async def newsletter_with(resources: Resources, mailbox: Mailbox, *emails: str) -> str:
    newsletter_id = await create_newsletter(resources)
    for email in emails:
        await subscribe_and_confirm(resources, mailbox, newsletter_id, email)
    mailbox.received.clear()
    return newsletter_id


async def deliveries(resources: Resources) -> dict[str, Delivery]:
    """The issue deliveries, by recipient."""
    async with resources.sessions() as session:
        rows = (await session.scalars(select(Delivery).where(Delivery.kind == "issue"))).all()
    return {row.recipient: row for row in rows}


async def time_passes(resources: Resources) -> None:
    """Every delivery waiting for a retry becomes due now."""
    async with resources.sessions() as session, session.begin():
        await session.execute(update(Delivery).values(available_at=utcnow()))


async def test_an_issue_goes_to_every_confirmed_subscriber_once(
    resources: Resources, mailbox: Mailbox, posts: StandInPosts
) -> None:
    newsletter_id = await newsletter_with(resources, mailbox, "ada@example.org", "grace@example.org")
    await run(resources, SUBSCRIBE, id=newsletter_id, email="pending@example.org")  # never confirms
    posts.publish(post(1, "Winter vegetables"))
    posts.publish(post(2, 'AGM <script>alert("x")</script> & more', feature_image="/media/agm.jpg"))
    sent = await run(resources, SEND, ADMIN, id=newsletter_id)
    issue = sent["data"]["sendNewsletterIssue"]
    assert issue["number"] == 1
    assert issue["subject"] == 'Weekly digest #1: AGM <script>alert("x")</script> & more (and 1 more)'
    assert issue["deliveries"] == {"pending": 2, "sent": 0, "failed": 0}
    # What came from posts is text, never markup; links are absolute under PUBLIC_URL.
    assert "<script>" not in issue["html"]
    assert "AGM &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in issue["html"]
    assert f'href="{PUBLIC_URL}/blog/post-2/"' in issue["html"]
    assert f'src="{PUBLIC_URL}/media/agm.jpg"' in issue["html"]
    assert issue["html"].index("AGM") < issue["html"].index("Winter vegetables")  # newest first
    assert f"Read more: {PUBLIC_URL}/blog/post-1/" in issue["text"]
    assert await send_newsletter_mail(resources) == 3  # the issue twice, and the pending address's confirmation
    [ada] = mailbox.to("ada@example.org")
    [grace] = mailbox.to("grace@example.org")
    assert [m["Subject"] for m in mailbox.to("pending@example.org")] == ["Confirm your subscription to Weekly digest"]
    assert ada["Subject"] == issue["subject"]
    assert ada["From"] == "Weekly digest <news@coop.example>"
    assert ada["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = unsubscribe_link(ada)
    assert link.startswith(f"{PUBLIC_URL}/newsletters/unsubscribe?token=")
    assert link != unsubscribe_link(grace)  # each mail its own link
    text, html = ada.get_body(("plain",)), ada.get_body(("html",))
    assert text is not None
    assert html is not None
    assert f"Unsubscribe: {link}" in text.get_content()
    assert link.replace("&", "&amp;") in html.get_content()
    assert "&lt;script&gt;" in html.get_content()
    stored = await deliveries(resources)
    assert ada["Message-ID"] == stored["ada@example.org"].message_id
    assert stored["ada@example.org"].message_id.endswith("@coop.example>")
    assert all(row.status == QueueStatus.DONE and row.link_token is None for row in stored.values())
    listed = await run(resources, ISSUES, ADMIN, id=newsletter_id)
    [edge] = listed["data"]["newsletter"]["issues"]["edges"]
    assert edge["node"]["deliveries"] == {"pending": 0, "sent": 2, "failed": 0}
    hidden = await run(resources, ISSUES, member("m1"), id=newsletter_id)
    assert hidden["data"]["newsletter"]["issues"]["edges"][0]["node"]["deliveries"] is None


async def test_running_again_mails_nobody_twice(resources: Resources, mailbox: Mailbox, posts: StandInPosts) -> None:
    newsletter_id = await newsletter_with(resources, mailbox, "ada@example.org", "grace@example.org")
    posts.publish(post(1))
    assert "errors" not in await run(resources, SEND, ADMIN, id=newsletter_id)
    # Two workers at once, then again later: each mail goes out exactly once.
    handled = await asyncio.gather(send_newsletter_mail(resources), send_newsletter_mail(resources))
    assert sum(handled) == 2
    assert await send_newsletter_mail(resources) == 0
    before = await table_counts(resources)
    again = await run(resources, SEND, ADMIN, id=newsletter_id)
    assert (error_of(again)["code"], error_of(again)["field"]) == ("CONFLICT", "newsletterId")
    assert "since issue #1" in error_of(again)["message"]
    assert await table_counts(resources) == before
    assert await send_newsletter_mail(resources) == 0
    assert [len(mailbox.to(a)) for a in ("ada@example.org", "grace@example.org")] == [1, 1]
    # Something new makes a second issue, with only what is new in it.
    posts.publish(post(3, "Fresh news"))
    second = (await run(resources, SEND, ADMIN, id=newsletter_id))["data"]["sendNewsletterIssue"]
    assert second["number"] == 2
    assert "Fresh news" in second["html"]
    assert "Post 1" not in second["html"]
    await send_newsletter_mail(resources)
    assert [m["Subject"] for m in mailbox.to("ada@example.org")] == ["Weekly digest #1: Post 1", second["subject"]]


async def test_a_4xx_refusal_is_retried_and_then_delivered(
    resources: Resources, mailbox: Mailbox, posts: StandInPosts
) -> None:
    newsletter_id = await newsletter_with(resources, mailbox, "ada@example.org", "grace@example.org")
    posts.publish(post(1))
    await run(resources, SEND, ADMIN, id=newsletter_id)
    mailbox.refuse("grace@example.org", "451 4.7.1 greylisted, try again later")
    await send_newsletter_mail(resources)
    waiting = (await deliveries(resources))["grace@example.org"]
    assert waiting.status == QueueStatus.PENDING
    assert waiting.attempts == 1
    assert waiting.last_error is not None
    assert "451" in waiting.last_error
    assert waiting.available_at > utcnow() + timedelta(seconds=30)  # backs off
    assert waiting.link_token is not None  # the retry needs the same link
    assert await send_newsletter_mail(resources) == 0  # not due yet
    await time_passes(resources)
    assert await send_newsletter_mail(resources) == 1
    [grace] = mailbox.to("grace@example.org")
    assert grace["Message-ID"] == waiting.message_id
    delivered = (await deliveries(resources))["grace@example.org"]
    assert (delivered.status, delivered.attempts, delivered.last_error) == (QueueStatus.DONE, 2, None)
    assert len(mailbox.to("ada@example.org")) == 1


async def test_a_5xx_refusal_fails_at_once_without_retry(
    resources: Resources, mailbox: Mailbox, posts: StandInPosts
) -> None:
    newsletter_id = await newsletter_with(resources, mailbox, "ada@example.org", "gone@example.org")
    posts.publish(post(1))
    await run(resources, SEND, ADMIN, id=newsletter_id)
    mailbox.refuse("gone@example.org", "550 5.1.1 no such mailbox")
    await send_newsletter_mail(resources)
    failed = (await deliveries(resources))["gone@example.org"]
    assert (failed.status, failed.attempts, failed.link_token) == (QueueStatus.DEAD, 1, None)
    assert failed.last_error is not None
    assert "550 5.1.1 no such mailbox" in failed.last_error
    await time_passes(resources)
    assert await send_newsletter_mail(resources) == 0
    assert mailbox.to("gone@example.org") == []
    counts = await run(resources, ISSUES, ADMIN, id=newsletter_id)
    assert counts["data"]["newsletter"]["issues"]["edges"][0]["node"]["deliveries"] == {
        "pending": 0,
        "sent": 1,
        "failed": 1,
    }


async def test_transient_failures_give_up_once_the_mail_is_days_old(
    resources: Resources, mailbox: Mailbox, posts: StandInPosts
) -> None:
    newsletter_id = await newsletter_with(resources, mailbox, "busy@example.org", "full@example.org")
    posts.publish(post(1))
    await run(resources, SEND, ADMIN, id=newsletter_id)
    # Many tries are no reason to give up; age is.
    async with resources.sessions() as session, session.begin():
        await session.execute(update(Delivery).values(attempts=50))
        await session.execute(
            update(Delivery)
            .where(Delivery.recipient == "full@example.org")
            .values(created_at=utcnow() - GIVE_UP_AFTER - timedelta(minutes=1))
        )
    mailbox.refuse("busy@example.org", "452 4.2.2 mailbox full")
    mailbox.refuse("full@example.org", "452 4.2.2 mailbox full")
    await send_newsletter_mail(resources)
    rows = await deliveries(resources)
    assert (rows["busy@example.org"].status, rows["busy@example.org"].attempts) == (QueueStatus.PENDING, 51)
    assert (rows["full@example.org"].status, rows["full@example.org"].link_token) == (QueueStatus.DEAD, None)


async def test_an_unreachable_mail_server_leaves_the_batch_waiting(
    resources: Resources, mailbox: Mailbox, posts: StandInPosts
) -> None:
    newsletter_id = await newsletter_with(resources, mailbox, "ada@example.org", "grace@example.org")
    posts.publish(post(1))
    await run(resources, SEND, ADMIN, id=newsletter_id)
    reachable = resources.settings
    assert reachable.smtp is not None
    resources.settings = replace(reachable, smtp=replace(reachable.smtp, port=free_port()))
    assert await send_newsletter_mail(resources) == 1  # the first one tried found out; the other was not tried
    first, second = sorted((await deliveries(resources)).values(), key=lambda row: row.id)
    assert (first.status, first.attempts) == (second.status, second.attempts + 1) == (QueueStatus.PENDING, 1)
    assert second.last_error is not None
    assert "mail server unavailable" in second.last_error
    assert second.available_at == first.available_at > utcnow()  # both wait, rather than hammer the server
    assert await send_newsletter_mail(resources) == 0
    # However long the outage lasts in tries, it uses up nobody's chances; only the mail's age could.
    for _ in range(20):
        await time_passes(resources)
        await send_newsletter_mail(resources)
    waiting = await deliveries(resources)
    assert all(row.status == QueueStatus.PENDING for row in waiting.values())
    assert waiting[second.recipient].attempts == 0
    resources.settings = reachable
    await time_passes(resources)
    assert await send_newsletter_mail(resources) == 2
    assert [len(mailbox.to(a)) for a in ("ada@example.org", "grace@example.org")] == [1, 1]


async def test_in_production_without_smtp_mail_waits(
    resources: Resources, mailbox: Mailbox, posts: StandInPosts
) -> None:
    newsletter_id = await newsletter_with(resources, mailbox, "ada@example.org")
    posts.publish(post(1))
    await run(resources, SEND, ADMIN, id=newsletter_id)
    resources.settings = replace(resources.settings, smtp=None, environment="production")
    assert await send_newsletter_mail(resources) == 0
    assert (await deliveries(resources))["ada@example.org"].status == QueueStatus.PENDING
    assert (await deliveries(resources))["ada@example.org"].attempts == 0


async def test_someone_who_unsubscribes_before_their_turn_is_not_mailed(
    resources: Resources, mailbox: Mailbox, posts: StandInPosts
) -> None:
    newsletter_id = await newsletter_with(resources, mailbox, "ada@example.org", "grace@example.org")
    posts.publish(post(1))
    await run(resources, SEND, ADMIN, id=newsletter_id)
    async with resources.sessions() as session, session.begin():
        await session.execute(
            update(Subscription).where(Subscription.email == "grace@example.org").values(status="unsubscribed")
        )
    await send_newsletter_mail(resources)
    assert mailbox.to("grace@example.org") == []
    skipped = (await deliveries(resources))["grace@example.org"]
    assert (skipped.status, skipped.last_error) == (QueueStatus.DEAD, "not sent: the subscription is unsubscribed")


async def test_someone_who_unsubscribes_while_the_batch_is_sent_is_not_mailed(
    resources: Resources, mailbox: Mailbox, posts: StandInPosts
) -> None:
    emails = [f"reader{n}@example.org" for n in range(CHECK_EVERY + 1)]
    newsletter_id = await newsletter_with(resources, mailbox, *emails)
    posts.publish(post(1))
    await run(resources, SEND, ADMIN, id=newsletter_id)
    last = max((await deliveries(resources)).values(), key=lambda row: row.id)

    async def leaves_while_the_first_mail_arrives(recipients: list[str]) -> None:
        mailbox.on_message = None
        async with resources.sessions() as session, session.begin():
            await session.execute(
                update(Subscription).where(Subscription.id == last.subscription_id).values(status="unsubscribed")
            )

    mailbox.on_message = leaves_while_the_first_mail_arrives
    assert await send_newsletter_mail(resources) == len(emails)
    assert mailbox.to(last.recipient) == []
    assert sum(len(mailbox.to(email)) for email in emails) == CHECK_EVERY
    skipped = (await deliveries(resources))[last.recipient]
    assert (skipped.status, skipped.last_error) == (QueueStatus.DEAD, "not sent: the subscription is unsubscribed")


async def test_an_issue_has_the_posts_no_issue_had_even_if_published_earlier(
    resources: Resources, mailbox: Mailbox, posts: StandInPosts
) -> None:
    newsletter_id = await newsletter_with(resources, mailbox, "ada@example.org")
    posts.publish(post(5, "Published by hand"))
    first = (await run(resources, SEND, ADMIN, id=newsletter_id))["data"]["sendNewsletterIssue"]
    assert first["subject"] == "Weekly digest #1: Published by hand"
    # A post that appears later with an earlier time: scheduled and published late, or synced from Ghost.
    posts.publish(post(3, "Scheduled for earlier"))
    second = (await run(resources, SEND, ADMIN, id=newsletter_id))["data"]["sendNewsletterIssue"]
    assert second["subject"] == "Weekly digest #2: Scheduled for earlier"
    assert "Published by hand" not in second["html"]
    again = await run(resources, SEND, ADMIN, id=newsletter_id)
    assert error_of(again)["message"] == "nothing new to send: no posts published since issue #2"


async def test_more_posts_than_an_issue_takes_wait_for_the_next(
    resources: Resources, mailbox: Mailbox, posts: StandInPosts
) -> None:
    newsletter_id = await newsletter_with(resources, mailbox, "ada@example.org")
    for number in range(1, MAX_POSTS + 3):
        posts.publish(post(number))
    # Old posts are not news: a new newsletter does not mail the archive.
    posts.publish(post(99, "From the archive", published_at=utcnow() - LOOKBACK - timedelta(days=1)))
    first = (await run(resources, SEND, ADMIN, id=newsletter_id))["data"]["sendNewsletterIssue"]
    assert first["subject"] == f"Weekly digest #1: Post {MAX_POSTS + 2} (and {MAX_POSTS - 1} more)"
    assert "Post 3<" in first["html"]
    assert "Post 2<" not in first["html"]
    second = (await run(resources, SEND, ADMIN, id=newsletter_id))["data"]["sendNewsletterIssue"]
    assert second["subject"] == "Weekly digest #2: Post 2 (and 1 more)"
    assert "From the archive" not in first["html"] + second["html"]


@pytest.mark.parametrize(
    ("viewer", "code"),
    [(ANONYMOUS, "UNAUTHENTICATED"), (member("m1"), "FORBIDDEN"), (editor("e1"), "FORBIDDEN")],
    ids=["anonymous", "member", "editor"],
)
async def test_only_admins_send_issues(
    resources: Resources, mailbox: Mailbox, posts: StandInPosts, viewer: Viewer, code: str
) -> None:
    newsletter_id = await newsletter_with(resources, mailbox, "ada@example.org")
    posts.publish(post(1))
    before = await table_counts(resources)
    assert error_of(await run(resources, SEND, viewer, id=newsletter_id))["code"] == code
    assert await table_counts(resources) == before


async def test_refusals_name_what_is_missing_and_write_nothing(
    resources: Resources, mailbox: Mailbox, posts: StandInPosts
) -> None:
    unknown = await run(resources, SEND, ADMIN, id="0" * 32)
    assert (error_of(unknown)["code"], error_of(unknown)["field"]) == ("NOT_FOUND", "newsletterId")
    nobody = await create_newsletter(resources, "Nobody reads this")
    no_posts = await run(resources, SEND, ADMIN, id=nobody)
    assert (error_of(no_posts)["code"], error_of(no_posts)["message"]) == (
        "CONFLICT",
        f"nothing new to send: no posts published in the last {LOOKBACK.days} days",
    )
    posts.publish(post(1))
    no_readers = await run(resources, SEND, ADMIN, id=nobody)
    assert error_of(no_readers)["code"] == "CONFLICT"
    assert "no confirmed subscribers" in error_of(no_readers)["message"]
    counts = await table_counts(resources)
    assert (counts["newsletter_issues"], counts["newsletter_deliveries"]) == (0, 0)
