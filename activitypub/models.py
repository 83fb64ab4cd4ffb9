"""The ActivityPub sidecar's tables: keys, the remote actors it knows, who follows whom, what arrived and what goes out.

The sidecar reads no domain tables and no domain reads these. Remote things
are keyed by their ActivityPub id (a URI, up to 2048 characters); every row
about a remote actor points at its `ap_remote_actors` row and goes with it
when the actor is deleted.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, UTCDateTime, new_id, utcnow
from shared.queue import Queued

URI = 2048
# BigInteger on PostgreSQL; SQLite only autoincrements a plain INTEGER key.
SERIAL = BigInteger().with_variant(Integer, "sqlite")


class FollowStatus(StrEnum):
    PENDING = "pending"  # waiting for the followed actor's approval
    ACCEPTED = "accepted"


class ReactionKind(StrEnum):
    LIKE = "like"
    ANNOUNCE = "announce"


class InstanceKey(Base):
    """The one instance keypair: the blog, market, events and instance actors all publish its public half."""

    __tablename__ = "ap_instance_keys"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    private_key_pem: Mapped[str] = mapped_column(Text)
    public_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemberActor(Base):
    """A member's actor: their own keypair, made on first use, and their federation preferences."""

    __tablename__ = "ap_member_actors"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    handle: Mapped[str] = mapped_column(String(30), unique=True)
    private_key_pem: Mapped[str] = mapped_column(Text)
    public_key_pem: Mapped[str] = mapped_column(Text)
    manually_approves_followers: Mapped[bool] = mapped_column(Boolean, default=False)
    # Members opt in to being suggested and searched, as on Mastodon.
    discoverable: Mapped[bool] = mapped_column(Boolean, default=False)
    indexable: Mapped[bool] = mapped_column(Boolean, default=False)
    also_known_as: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RemoteActor(Base):
    """An actor of another server, as last fetched (or as its last signed Update said)."""

    __tablename__ = "ap_remote_actors"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    uri: Mapped[str] = mapped_column(String(URI), unique=True)
    key_id: Mapped[str] = mapped_column(String(URI), index=True)
    public_key_pem: Mapped[str] = mapped_column(Text)
    inbox: Mapped[str] = mapped_column(String(URI))
    # Where deliveries for everyone on that server go at once, when it has one.
    shared_inbox: Mapped[str | None] = mapped_column(String(URI))
    host: Mapped[str] = mapped_column(String(255), index=True)
    preferred_username: Mapped[str | None] = mapped_column(String(255))
    # Set once a verified Move names the account this one moved to.
    moved_to: Mapped[str | None] = mapped_column(String(URI))
    document: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Follower(Base):
    """A remote actor following one of ours: who gets our deliveries."""

    __tablename__ = "ap_followers"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    actor_name: Mapped[str] = mapped_column(String(64))  # ours: blog, market, events, instance or a handle
    remote_actor_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("ap_remote_actors.id", ondelete="CASCADE"), index=True
    )
    follow_uri: Mapped[str] = mapped_column(String(URI))  # their Follow, which an Accept or Reject names
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("actor_name", "remote_actor_id", name="uq_ap_followers_actor_name"),
        Index("ix_ap_followers_listing", "actor_name", "status", "id"),
    )


class Following(Base):
    """One of ours following a remote actor (the social hub asks; their Accept confirms)."""

    __tablename__ = "ap_following"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    actor_name: Mapped[str] = mapped_column(String(64))
    remote_actor_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("ap_remote_actors.id", ondelete="CASCADE"), index=True
    )
    follow_uri: Mapped[str] = mapped_column(String(URI), unique=True)  # our Follow
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("actor_name", "remote_actor_id", name="uq_ap_following_actor_name"),
        Index("ix_ap_following_listing", "actor_name", "status", "id"),
    )


class OutboxItem(Base):
    """An activity one of ours published, as sent: what the outbox collection lists when public.

    Written by the delivery side when it turns an `ap_activities` row into an activity.
    """

    __tablename__ = "ap_outbox"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    uri: Mapped[str] = mapped_column(String(URI), unique=True)
    actor_name: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))
    object_uri: Mapped[str | None] = mapped_column(String(URI), index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    # The ap_activities row it came from; no foreign key, since done queue rows may be pruned and this stays.
    source_activity_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_ap_outbox_listing", "actor_name", "public", "id"),)


class ActivityDelivery(Queued, Base):
    """One activity (an `ap_outbox` row) to one inbox: claimed, sent and retried on its own.

    Dead rows stay, with the last error and status, as the dead letters admins look at.
    """

    __tablename__ = "ap_deliveries"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ap_outbox.id", ondelete="CASCADE"), index=True)
    inbox: Mapped[str] = mapped_column(String(URI))
    # The inbox's host (with its port): what the circuit breaker and the per-host limit go by.
    host: Mapped[str] = mapped_column(String(255), index=True)
    # The HTTP status of the last answer, when the last try got one.
    last_status: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_ap_deliveries_status_available_at", "status", "available_at"),)


class DeliveryHost(Base):
    """What deliveries have learnt of a remote host: the signature scheme it takes, and its circuit breaker.

    A row exists only once there is something to remember: a host that takes
    draft-cavage and has never failed has none.
    """

    __tablename__ = "ap_delivery_hosts"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    # A `Scheme` value, once the host has answered one scheme but not the other, or asked for RFC 9421.
    signature_scheme: Mapped[str | None] = mapped_column(String(40))
    # The host's last Accept-Signature (RFC 9421 section 5.1): what it asked our signatures to cover.
    accept_signature: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # While in the future, the breaker is open: nothing is sent to the host.
    open_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboxActivity(Base):
    """An activity an inbox accepted, by id: a second delivery of the same id does nothing."""

    __tablename__ = "ap_inbox"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    uri: Mapped[str] = mapped_column(String(URI), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    actor_uri: Mapped[str] = mapped_column(String(URI))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Reply(Base):
    """A remote Note replying to one of our objects, kept for the owning domain to show."""

    __tablename__ = "ap_replies"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    uri: Mapped[str] = mapped_column(String(URI), unique=True)
    remote_actor_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("ap_remote_actors.id", ondelete="CASCADE"), index=True
    )
    in_reply_to: Mapped[str] = mapped_column(String(URI), index=True)  # ours
    url: Mapped[str | None] = mapped_column(String(URI))
    summary: Mapped[str | None] = mapped_column(Text)  # a content warning
    content: Mapped[str] = mapped_column(Text)  # HTML, cleaned when stored
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Reaction(Base):
    """A Like or Announce (boost) of one of our objects."""

    __tablename__ = "ap_reactions"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    uri: Mapped[str] = mapped_column(String(URI), unique=True)  # the Like or Announce, which an Undo names
    kind: Mapped[str] = mapped_column(String(16))
    remote_actor_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("ap_remote_actors.id", ondelete="CASCADE"), index=True
    )
    object_uri: Mapped[str] = mapped_column(String(URI), index=True)  # ours
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Block(Base):
    """A remote actor blocking one of ours; while it stands they follow each other in neither direction."""

    __tablename__ = "ap_blocks"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    uri: Mapped[str] = mapped_column(String(URI), unique=True)
    actor_name: Mapped[str] = mapped_column(String(64))
    remote_actor_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("ap_remote_actors.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Report(Base):
    """A Flag: a remote server reporting our actors or objects, for admins to review."""

    __tablename__ = "ap_reports"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    uri: Mapped[str] = mapped_column(String(URI), unique=True)
    remote_actor_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("ap_remote_actors.id", ondelete="CASCADE"), index=True
    )
    content: Mapped[str] = mapped_column(Text, default="")
    object_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LocalStatus(Base):
    """A status a member posted through the social hub; its id is under their actor, for good."""

    __tablename__ = "ap_local_statuses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(32))
    uri: Mapped[str] = mapped_column(String(URI), unique=True)
    source: Mapped[str] = mapped_column(Text)  # what the member wrote
    content: Mapped[str] = mapped_column(Text)  # HTML rendered from it
    visibility: Mapped[str] = mapped_column(String(16))  # a `shared.contracts.social.Visibility`
    in_reply_to: Mapped[str | None] = mapped_column(String(URI))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_ap_local_statuses_listing", "user_id", "published_at", "id"),)


class TimelineItem(Base):
    """A post, or a boost, by a remote account a member follows: what home timelines are made of.

    Whose timeline it is in is not stored: a member's home timeline is the items of the accounts they
    follow (a join to `ap_following`), so one copy serves every member who follows the account.
    """

    __tablename__ = "ap_timeline_items"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # The post's id; for a boost, the Announce's, which an Undo names.
    uri: Mapped[str] = mapped_column(String(URI), unique=True)
    remote_actor_id: Mapped[str] = mapped_column(String(32), ForeignKey("ap_remote_actors.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # Note, Article, Question... or Announce
    boost_of: Mapped[str | None] = mapped_column(String(URI))
    in_reply_to: Mapped[str | None] = mapped_column(String(URI))
    url: Mapped[str | None] = mapped_column(String(URI))
    summary: Mapped[str | None] = mapped_column(Text)  # a content warning
    content: Mapped[str] = mapped_column(Text, default="")  # HTML, cleaned when stored
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_ap_timeline_items_listing", "remote_actor_id", "published_at", "id"),)


class Notification(Base):
    """Something a remote account did to a member: followed them, replied to, liked or boosted their status."""

    __tablename__ = "ap_notifications"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # a `shared.contracts.social.NotificationKind`
    remote_actor_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("ap_remote_actors.id", ondelete="CASCADE"), index=True
    )
    # What caused it (the Follow, the reply, the Like or Announce): one notification each, and what an Undo names.
    uri: Mapped[str] = mapped_column(String(URI), unique=True)
    # The member's status it concerns, and the reply itself: the notification goes when either does.
    status_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("ap_local_statuses.id", ondelete="CASCADE"), index=True
    )
    reply_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("ap_replies.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_ap_notifications_listing", "user_id", "created_at", "id"),)
