"""Subscriptions with double opt-in: subscribe, confirm from the mailed link, unsubscribe from any issue.

Subscribing answers the same whatever the address's state, so nobody learns
from it whether an address is subscribed; the owner of the address finds out
from their inbox. A confirmation link lasts 48 hours; asking again while
pending mails a new link (and the old one stops working), at most once every
couple of minutes so nobody can flood someone else's inbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared import validation
from shared.auth import Viewer
from shared.contracts import contracts
from shared.contracts.users import MemberEmails
from shared.db import utcnow
from shared.errors import BadUserInput, Conflict
from shared.pagination import Page, paginate
from shared.queue import QueueStatus
from subgraphs.account import newsletters
from subgraphs.account.mails import message_id
from subgraphs.account.models import Delivery, MailKind, Newsletter, Subscription, SubscriptionStatus
from subgraphs.account.tokens import MAX_TOKEN, new_token, token_hash

CONFIRM_FOR = timedelta(hours=48)
RESEND_AFTER = timedelta(minutes=2)


def _digest(token: str) -> str:
    token = token.strip()
    if not token or len(token) > MAX_TOKEN:
        raise BadUserInput("this link's token is missing or malformed", field="token")
    return token_hash(token)


async def _owner(session: AsyncSession, viewer: Viewer, address: str) -> str | None:
    """The signed-in member, when the address is their account's: nobody claims someone else's subscription."""
    if viewer.user_id is None:
        return None
    account_email = await contracts.get(MemberEmails).email_of(session, viewer.user_id)
    return viewer.user_id if account_email == address else None


async def subscribe(
    session: AsyncSession, viewer: Viewer, newsletter_id: str, email: str, *, mail_from: str
) -> Newsletter:
    """Ask for a subscription; a confirmation mail goes out unless the address needs none now."""
    address = validation.email(email, field="email")
    newsletter = await newsletters.get(session, newsletter_id, field="newsletterId")
    subscription = await session.scalar(
        select(Subscription).where(Subscription.newsletter_id == newsletter.id, Subscription.email == address)
    )
    now = utcnow()
    owner = await _owner(session, viewer, address)
    if subscription is None:
        subscription = Subscription(
            newsletter_id=newsletter.id, email=address, user_id=owner, status=SubscriptionStatus.PENDING
        )
        session.add(subscription)
    elif not _opt_in_again(subscription, now):
        return newsletter
    else:
        subscription.status = SubscriptionStatus.PENDING
        subscription.user_id = owner or subscription.user_id
    token, digest = new_token()
    subscription.confirm_token_hash = digest
    subscription.confirm_expires_at = now + CONFIRM_FOR
    subscription.confirm_sent_at = now
    try:
        await session.flush()
    except IntegrityError:  # the same address asked at the same moment in another request
        raise Conflict("this subscription is being changed by another request; try again", field="email") from None
    session.add(
        Delivery(
            kind=MailKind.CONFIRMATION,
            subscription_id=subscription.id,
            recipient=address,
            message_id=message_id(f"confirm.{digest[:32]}", mail_from),
            link_token=token,
            status=QueueStatus.PENDING,
            attempts=0,
            available_at=now,
        )
    )
    await session.flush()
    return newsletter


def _opt_in_again(subscription: Subscription, now: datetime) -> bool:
    """Whether asking again mails a new link: not once confirmed, nor moments after the last one."""
    if subscription.status == SubscriptionStatus.CONFIRMED:
        return False
    just_sent = subscription.confirm_sent_at is not None and subscription.confirm_sent_at > now - RESEND_AFTER
    return not (subscription.status == SubscriptionStatus.PENDING and just_sent)


async def by_confirm_token(session: AsyncSession, token: str) -> Subscription:
    """The subscription a confirmation link belongs to, while the link still works."""
    subscription = await session.scalar(select(Subscription).where(Subscription.confirm_token_hash == _digest(token)))
    if subscription is None:
        raise BadUserInput(
            "this confirmation link is not valid: a newer one may have been sent, or the subscription ended",
            field="token",
        )
    expires = subscription.confirm_expires_at
    if subscription.status != SubscriptionStatus.CONFIRMED and (expires is None or expires <= utcnow()):
        raise BadUserInput("this confirmation link has expired; subscribe again for a new one", field="token")
    return subscription


async def confirm(session: AsyncSession, token: str) -> Subscription:
    """Confirm from the mailed link. Confirming twice is harmless."""
    subscription = await by_confirm_token(session, token)
    if subscription.status != SubscriptionStatus.CONFIRMED:
        subscription.status = SubscriptionStatus.CONFIRMED
        subscription.confirmed_at = utcnow()
        await session.flush()
    return subscription


async def by_unsubscribe_token(session: AsyncSession, token: str) -> Subscription:
    """The subscription an issue's unsubscribe link belongs to."""
    subscription = await session.scalar(
        select(Subscription)
        .join(Delivery, Delivery.subscription_id == Subscription.id)
        .where(Delivery.unsubscribe_token_hash == _digest(token))
    )
    if subscription is None:
        raise BadUserInput("this unsubscribe link is not valid", field="token")
    return subscription


async def unsubscribe(session: AsyncSession, token: str) -> Subscription:
    """Unsubscribe with the link from any issue. Unsubscribing twice is harmless."""
    subscription = await by_unsubscribe_token(session, token)
    if subscription.status != SubscriptionStatus.UNSUBSCRIBED:
        subscription.status = SubscriptionStatus.UNSUBSCRIBED
        subscription.unsubscribed_at = utcnow()
        # An unused confirmation link must not bring the subscription back.
        subscription.confirm_token_hash = None
        subscription.confirm_expires_at = None
        await session.flush()
    return subscription


def can_see_user_subscriptions(viewer: Viewer, user_id: str) -> bool:
    return viewer.user_id == user_id or viewer.has_role("admin")


async def of_user(session: AsyncSession, user_id: str, first: int, after: str | None) -> Page[Subscription]:
    """A member's confirmed subscriptions, newest first."""
    statement = select(Subscription).where(
        Subscription.user_id == user_id, Subscription.status == SubscriptionStatus.CONFIRMED
    )
    return await paginate(session, statement, Subscription.created_at, Subscription.id, first, after)


async def of_newsletter(session: AsyncSession, newsletter_id: str, first: int, after: str | None) -> Page[Subscription]:
    """A newsletter's confirmed subscribers, newest first."""
    statement = select(Subscription).where(
        Subscription.newsletter_id == newsletter_id, Subscription.status == SubscriptionStatus.CONFIRMED
    )
    return await paginate(session, statement, Subscription.created_at, Subscription.id, first, after)
