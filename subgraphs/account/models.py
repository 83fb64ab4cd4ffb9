"""The account subgraph's tables: members' profiles and preferences, newsletters and their mail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, UTCDateTime, new_id, utcnow
from shared.queue import Queued


class Profile(Base):
    __tablename__ = "profiles"

    # The federation subgraph's user id. No foreign key: domains do not reach into each other's tables.
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Cadence(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


class SubscriptionStatus(StrEnum):
    PENDING = "pending"  # asked for, waiting for the address's owner to confirm
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"


class MailKind(StrEnum):
    CONFIRMATION = "confirmation"
    ISSUE = "issue"


class Newsletter(Base):
    __tablename__ = "newsletters"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    cadence: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Subscription(Base):
    __tablename__ = "newsletter_subscriptions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    newsletter_id: Mapped[str] = mapped_column(ForeignKey("newsletters.id"))
    email: Mapped[str] = mapped_column(String(254))  # normalised: trimmed and lower case
    # The federation subgraph's user id of a signed-in subscriber; no foreign key across domains.
    user_id: Mapped[str | None] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default=SubscriptionStatus.PENDING)
    # SHA-256 of the latest confirmation token; the token itself is only ever in the mail.
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    confirm_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirm_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("newsletter_id", "email"),
        Index("ix_newsletter_subscriptions_newsletter_id_status", "newsletter_id", "status"),
    )


class Issue(Base):
    __tablename__ = "newsletter_issues"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    newsletter_id: Mapped[str] = mapped_column(ForeignKey("newsletters.id"))
    # 1, 2, 3... per newsletter; unique, so two admins sending at once make one issue, not two.
    number: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(255))
    # The body every recipient shares; each one's copy adds its own unsubscribe footer.
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    # The posts it covered, newest first: later issues of the newsletter leave these out (see `issues`).
    post_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # When the newest post covered was published. For the record only: a post's publication time says
    # nothing of when it appeared, so what the next issue covers goes by `post_ids`.
    posts_until: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("newsletter_id", "number"),)


class Delivery(Queued, Base):
    """One mail to one subscriber: an issue, or the confirmation of a subscription.

    The raw token the mail's link carries waits in `link_token` until the mail
    is sent or given up on, and is wiped then; only hashes stay.
    """

    __tablename__ = "newsletter_deliveries"

    # BigInteger on PostgreSQL; SQLite only autoincrements a plain INTEGER key.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    subscription_id: Mapped[str] = mapped_column(ForeignKey("newsletter_subscriptions.id"), index=True)
    issue_id: Mapped[str | None] = mapped_column(ForeignKey("newsletter_issues.id"))
    recipient: Mapped[str] = mapped_column(String(254))
    # The same on every attempt, so a receiver can tell a retry from a second mail.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    link_token: Mapped[str | None] = mapped_column(String(64))
    # Each issue mail has its own unsubscribe link; any of them ends the subscription.
    unsubscribe_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        # One copy of an issue per subscriber (confirmations have no issue; nulls are distinct).
        UniqueConstraint("issue_id", "subscription_id"),
        Index("ix_newsletter_deliveries_status_available_at", "status", "available_at"),
    )
