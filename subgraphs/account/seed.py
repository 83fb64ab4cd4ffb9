"""Demo newsletters, with confirmed subscribers, so `sendNewsletterIssue` has someone to mail in `make run`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import new_id, utcnow
from shared.seeds import Seed
from subgraphs.account.models import Cadence, Newsletter, Subscription, SubscriptionStatus

DEMO_NEWSLETTERS = (
    ("Weekly digest", "The week's posts from the co-op's blog, every Friday.", Cadence.WEEKLY),
    ("Co-op monthly", "Members' news, market days and events, once a month.", Cadence.MONTHLY),
)
# The demo users' addresses. Their user ids belong to the federation domain and are not known here,
# so these subscriptions are by address only, as if subscribed while signed out.
DEMO_SUBSCRIBERS = ("ada@example.org", "grace@example.org")


async def load(session: AsyncSession) -> None:
    now = utcnow()
    for name, description, cadence in DEMO_NEWSLETTERS:
        newsletter = Newsletter(id=new_id(), name=name, description=description, cadence=cadence)
        session.add(newsletter)
        for email in DEMO_SUBSCRIBERS:
            session.add(
                Subscription(
                    newsletter_id=newsletter.id, email=email, status=SubscriptionStatus.CONFIRMED, confirmed_at=now
                )
            )


SEED = Seed("account-newsletters", load)
