"""The worker's newsletter processor: claims due deliveries and mails them, one recipient at a time.

A delivery that is sent is marked done and never claimed again, so running
the processor again mails nobody twice. A recipient's server refusing for
good (5xx) fails that delivery at once; anything else is retried with
exponential backoff and given up on only once the delivery is
`GIVE_UP_AFTER` old. Age, not a count of tries, because a failure on our
side (our mail server down, our login refused) says nothing about the
recipient and must not use up their chances. When the mail server cannot be
reached, the rest of the batch is given back untried, with no attempt
counted, rather than each recipient waiting out its own timeout.

Subscriptions are read again before every few mails, not once per batch, so
someone who unsubscribes while a batch goes out is not mailed after all.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import queue
from shared.db import utcnow
from shared.mail import Mailer, MailServerUnavailable, PermanentMailError, TransientMailError, create_mailer
from shared.resources import Resources
from subgraphs.account.mails import confirmation_message, issue_message
from subgraphs.account.models import Delivery, Issue, MailKind, Newsletter, Subscription, SubscriptionStatus
from subgraphs.account.tokens import token_hash

logger = logging.getLogger("roseash.newsletters")

BATCH = 20
# Mails sent between readings of their subscriptions: an unsubscribe is seen at most this many mails late.
CHECK_EVERY = 5
# As long as mail servers commonly keep trying (days, not hours): an issue later than this is stale anyway.
GIVE_UP_AFTER = timedelta(days=3)
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
# Longer than a batch can take (each SMTP step times out after 30 s), so a slow batch is never
# taken for a dead worker's and sent twice.
LEASE = timedelta(minutes=15)

_warned_unconfigured = False


@dataclass(frozen=True, slots=True)
class _Related:
    subscriptions: dict[str, Subscription]
    issues: dict[str, Issue]
    newsletters: dict[str, Newsletter]


async def send_newsletter_mail(resources: Resources) -> int:
    """Send one batch of due newsletter mail; return how many deliveries were tried."""
    mailer = create_mailer(resources.settings)
    if mailer is None:
        _warn_unconfigured()
        return 0
    worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    untried = await queue.claim(resources.sessions, Delivery, worker, limit=BATCH, lease=LEASE)
    claimed = len(untried)
    async with mailer:
        while untried:
            chunk, untried = untried[:CHECK_EVERY], untried[CHECK_EVERY:]
            async with resources.sessions() as session:
                related = await _related(session, chunk)
            for index, row in enumerate(chunk):
                try:
                    await _deliver(resources, mailer, row, related, worker)
                except MailServerUnavailable as exc:
                    left = [*chunk[index + 1 :], *untried]
                    await _wait_for_server(resources, row, left, worker, str(exc))
                    return claimed - len(left)
    return claimed


async def _related(session: AsyncSession, rows: Sequence[Delivery]) -> _Related:
    subscription_ids = {row.subscription_id for row in rows}
    issue_ids = {row.issue_id for row in rows if row.issue_id is not None}
    subscriptions = (await session.scalars(select(Subscription).where(Subscription.id.in_(subscription_ids)))).all()
    issues = (await session.scalars(select(Issue).where(Issue.id.in_(issue_ids)))).all()
    newsletter_ids = {s.newsletter_id for s in subscriptions}
    newsletters = (await session.scalars(select(Newsletter).where(Newsletter.id.in_(newsletter_ids)))).all()
    return _Related(
        subscriptions={s.id: s for s in subscriptions},
        issues={i.id: i for i in issues},
        newsletters={n.id: n for n in newsletters},
    )


def _message(resources: Resources, row: Delivery, related: _Related) -> EmailMessage | str:
    """The mail to send, or why it must not go out any more."""
    subscription = related.subscriptions[row.subscription_id]
    newsletter = related.newsletters[subscription.newsletter_id]
    if row.link_token is None:  # wiped only when a delivery finishes; a finished one is never claimed
        return "the mail's link token is gone"
    if row.kind == MailKind.CONFIRMATION:
        if subscription.status != SubscriptionStatus.PENDING:
            return f"not sent: the subscription is {subscription.status}"
        if subscription.confirm_token_hash != token_hash(row.link_token):
            return "not sent: a newer confirmation mail replaced it"
        return confirmation_message(newsletter, subscription, row, row.link_token, resources.settings)
    if subscription.status != SubscriptionStatus.CONFIRMED:
        return f"not sent: the subscription is {subscription.status}"
    issue = related.issues[row.issue_id or ""]
    return issue_message(newsletter, issue, row, row.link_token, resources.settings)


async def _deliver(resources: Resources, mailer: Mailer, row: Delivery, related: _Related, worker: str) -> None:
    sessions = resources.sessions
    message = _message(resources, row, related)
    if isinstance(message, str):
        await queue.retry(sessions, Delivery, row.id, worker, message, at=None, link_token=None)
        return
    try:
        await mailer.send(message)
    except PermanentMailError as exc:
        logger.warning("delivery %d failed for good: %s", row.id, exc)
        await queue.retry(sessions, Delivery, row.id, worker, str(exc), at=None, link_token=None)
    except MailServerUnavailable:
        raise
    except TransientMailError as exc:
        await _retry_later(resources, row, worker, str(exc))
    else:
        await queue.complete(sessions, Delivery, row.id, worker, link_token=None)


async def _retry_later(resources: Resources, row: Delivery, worker: str, error: str) -> datetime:
    """Try `row` again after its backoff, or give up on it if it is too old; return when that try is due."""
    now = utcnow()
    at = now + queue.backoff(row.attempts, base=RETRY_BASE, cap=RETRY_CAP)
    if row.created_at > now - GIVE_UP_AFTER:
        await queue.retry(resources.sessions, Delivery, row.id, worker, error, at=at)
    else:
        logger.warning("delivery %d given up after %d attempts: %s", row.id, row.attempts, error)
        await queue.retry(resources.sessions, Delivery, row.id, worker, error, at=None, link_token=None)
    return at


async def _wait_for_server(
    resources: Resources, tried: Delivery, untried: Sequence[Delivery], worker: str, error: str
) -> None:
    """Our mail server is unreachable: the batch waits as long as the delivery that found out."""
    logger.warning("mail server unavailable; %d deliveries wait for the next try: %s", len(untried) + 1, error)
    at = await _retry_later(resources, tried, worker, error)
    await queue.release(resources.sessions, Delivery, [row.id for row in untried], worker, at=at, last_error=error)


def _warn_unconfigured() -> None:
    global _warned_unconfigured
    if not _warned_unconfigured:
        logger.warning("newsletter mail is waiting: set SMTP_URL to send it (production keeps no mail files)")
        _warned_unconfigured = True
