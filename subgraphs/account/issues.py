"""Newsletter issues: the blog's posts a newsletter has not covered yet, one delivery per subscriber.

What a newsletter has covered is what its issues list in `post_ids`, not a
point in time: a post's `published_at` is no guide to when it appeared (a
scheduled post keeps its scheduled time when the worker publishes it later,
a post synced from Ghost keeps Ghost's), so "published after the last issue"
would skip posts for good. An issue takes the newest `MAX_POSTS` uncovered
posts published in the last `LOOKBACK`; older uncovered ones stay uncovered
and go in the next issue. The lookback keeps a new newsletter from mailing
the whole archive, and sending again with nothing new is refused rather than
mailing the same posts twice. The issue and every delivery are written in the
caller's transaction: all of them, or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Viewer
from shared.config import Settings
from shared.contracts.posts import PostSummary, PublishedPosts
from shared.db import new_id, utcnow
from shared.errors import Conflict
from shared.pagination import Page, paginate
from shared.queue import QueueStatus
from subgraphs.account import newsletters
from subgraphs.account.mails import message_id
from subgraphs.account.models import Delivery, Issue, MailKind, Subscription, SubscriptionStatus
from subgraphs.account.rendering import render_issue
from subgraphs.account.tokens import new_token

MAX_POSTS = 10
LOOKBACK = timedelta(days=60)


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    pending: int = 0  # waiting, or being sent
    sent: int = 0
    failed: int = 0  # refused for good, retried for too long, or unsubscribed before their turn


async def send_issue(
    session: AsyncSession, viewer: Viewer, newsletter_id: str, *, posts: PublishedPosts, settings: Settings
) -> Issue:
    newsletters.require_admin(viewer, "send newsletter issues")
    newsletter = await newsletters.get(session, newsletter_id, field="newsletterId")
    previous = await session.scalar(
        select(Issue).where(Issue.newsletter_id == newsletter.id).order_by(Issue.number.desc()).limit(1)
    )
    now = utcnow()
    fresh = await _uncovered(session, posts, newsletter.id, since=now - LOOKBACK)
    if not fresh:
        since = f"since issue #{previous.number}" if previous else f"in the last {LOOKBACK.days} days"
        raise Conflict(f"nothing new to send: no posts published {since}", field="newsletterId")
    subscribers = (
        await session.scalars(
            select(Subscription).where(
                Subscription.newsletter_id == newsletter.id, Subscription.status == SubscriptionStatus.CONFIRMED
            )
        )
    ).all()
    if not subscribers:
        raise Conflict("nobody to send to: the newsletter has no confirmed subscribers", field="newsletterId")
    number = previous.number + 1 if previous else 1
    rendered = render_issue(newsletter.name, number, fresh, settings.public_url, now)
    issue = Issue(
        id=new_id(),
        newsletter_id=newsletter.id,
        number=number,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        post_ids=[post.id for post in fresh],
        posts_until=max(post.published_at for post in fresh),
        created_at=now,
    )
    session.add(issue)
    try:
        await session.flush()
    except IntegrityError:  # (newsletter, number) is unique: someone else sent this issue a moment ago
        raise Conflict("this issue was just sent by another request", field="newsletterId") from None
    for subscription in subscribers:
        token, digest = new_token()
        session.add(
            Delivery(
                kind=MailKind.ISSUE,
                subscription_id=subscription.id,
                issue_id=issue.id,
                recipient=subscription.email,
                message_id=message_id(f"issue.{issue.id}.{subscription.id}", settings.mail_from),
                link_token=token,
                unsubscribe_token_hash=digest,
                status=QueueStatus.PENDING,
                attempts=0,
                available_at=now,
            )
        )
    await session.flush()
    return issue


async def _uncovered(
    session: AsyncSession, posts: PublishedPosts, newsletter_id: str, *, since: datetime
) -> list[PostSummary]:
    """The newest `MAX_POSTS` posts published after `since` that no issue of the newsletter covered, newest first."""
    # A post published after `since` can only be in an issue made after it was published.
    issued = await session.scalars(
        select(Issue.post_ids).where(Issue.newsletter_id == newsletter_id, Issue.created_at >= since)
    )
    done = {post_id for post_ids in issued for post_id in post_ids}
    # Asking for as many more as are covered leaves `MAX_POSTS` uncovered ones in the answer when there are.
    recent = await posts.recent(session, since=since, limit=MAX_POSTS + len(done))
    return [post for post in recent if post.id not in done][:MAX_POSTS]


async def of_newsletter(session: AsyncSession, newsletter_id: str, first: int, after: str | None) -> Page[Issue]:
    statement = select(Issue).where(Issue.newsletter_id == newsletter_id)
    return await paginate(session, statement, Issue.created_at, Issue.id, first, after)


async def delivery_counts(session: AsyncSession, issue_ids: Sequence[str]) -> list[DeliveryCounts]:
    """How each issue's mail is getting on, in one query for them all."""
    rows = await session.execute(
        select(Delivery.issue_id, Delivery.status, func.count())
        .where(Delivery.issue_id.in_(issue_ids))
        .group_by(Delivery.issue_id, Delivery.status)
    )
    tally: dict[str, dict[str, int]] = {}
    for issue_id, status, count in rows.all():
        counts = tally.setdefault(issue_id, {"pending": 0, "sent": 0, "failed": 0})
        bucket = {QueueStatus.DONE: "sent", QueueStatus.DEAD: "failed"}.get(status, "pending")
        counts[bucket] += count
    return [DeliveryCounts(**tally.get(issue_id, {})) for issue_id in issue_ids]
