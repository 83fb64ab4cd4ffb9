"""The ActivityPub sidecar: keys, remote actors, followers and following, the outbox and what inboxes received.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ap_inbox",
        sa.Column("id", SERIAL, nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("actor_uri", sa.String(length=2048), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_inbox")),
        sa.UniqueConstraint("uri", name=op.f("uq_ap_inbox_uri")),
    )
    op.create_index(op.f("ix_ap_inbox_received_at"), "ap_inbox", ["received_at"])
    op.create_table(
        "ap_instance_keys",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("private_key_pem", sa.Text(), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_instance_keys")),
    )
    op.create_table(
        "ap_member_actors",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("handle", sa.String(length=30), nullable=False),
        sa.Column("private_key_pem", sa.Text(), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("manually_approves_followers", sa.Boolean(), nullable=False),
        sa.Column("discoverable", sa.Boolean(), nullable=False),
        sa.Column("indexable", sa.Boolean(), nullable=False),
        sa.Column("also_known_as", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_ap_member_actors")),
        sa.UniqueConstraint("handle", name=op.f("uq_ap_member_actors_handle")),
    )
    op.create_table(
        "ap_outbox",
        sa.Column("id", SERIAL, nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("object_uri", sa.String(length=2048), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("source_activity_id", sa.BigInteger(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_outbox")),
        sa.UniqueConstraint("uri", name=op.f("uq_ap_outbox_uri")),
    )
    op.create_index("ix_ap_outbox_listing", "ap_outbox", ["actor_name", "public", "id"])
    op.create_index(op.f("ix_ap_outbox_object_uri"), "ap_outbox", ["object_uri"])
    op.create_index(op.f("ix_ap_outbox_source_activity_id"), "ap_outbox", ["source_activity_id"])
    op.create_table(
        "ap_remote_actors",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("key_id", sa.String(length=2048), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("inbox", sa.String(length=2048), nullable=False),
        sa.Column("shared_inbox", sa.String(length=2048), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("preferred_username", sa.String(length=255), nullable=True),
        sa.Column("moved_to", sa.String(length=2048), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_remote_actors")),
        sa.UniqueConstraint("uri", name=op.f("uq_ap_remote_actors_uri")),
    )
    op.create_index(op.f("ix_ap_remote_actors_host"), "ap_remote_actors", ["host"])
    op.create_index(op.f("ix_ap_remote_actors_key_id"), "ap_remote_actors", ["key_id"])
    op.create_table(
        "ap_blocks",
        sa.Column("id", SERIAL, nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("remote_actor_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["remote_actor_id"],
            ["ap_remote_actors.id"],
            name=op.f("fk_ap_blocks_remote_actor_id_ap_remote_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_blocks")),
        sa.UniqueConstraint("uri", name=op.f("uq_ap_blocks_uri")),
    )
    op.create_index(op.f("ix_ap_blocks_remote_actor_id"), "ap_blocks", ["remote_actor_id"])
    op.create_table(
        "ap_followers",
        sa.Column("id", SERIAL, nullable=False),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("remote_actor_id", sa.String(length=32), nullable=False),
        sa.Column("follow_uri", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["remote_actor_id"],
            ["ap_remote_actors.id"],
            name=op.f("fk_ap_followers_remote_actor_id_ap_remote_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_followers")),
        sa.UniqueConstraint("actor_name", "remote_actor_id", name="uq_ap_followers_actor_name"),
    )
    op.create_index("ix_ap_followers_listing", "ap_followers", ["actor_name", "status", "id"])
    op.create_index(op.f("ix_ap_followers_remote_actor_id"), "ap_followers", ["remote_actor_id"])
    op.create_table(
        "ap_following",
        sa.Column("id", SERIAL, nullable=False),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("remote_actor_id", sa.String(length=32), nullable=False),
        sa.Column("follow_uri", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["remote_actor_id"],
            ["ap_remote_actors.id"],
            name=op.f("fk_ap_following_remote_actor_id_ap_remote_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_following")),
        sa.UniqueConstraint("actor_name", "remote_actor_id", name="uq_ap_following_actor_name"),
        sa.UniqueConstraint("follow_uri", name=op.f("uq_ap_following_follow_uri")),
    )
    op.create_index("ix_ap_following_listing", "ap_following", ["actor_name", "status", "id"])
    op.create_index(op.f("ix_ap_following_remote_actor_id"), "ap_following", ["remote_actor_id"])
    op.create_table(
        "ap_reactions",
        sa.Column("id", SERIAL, nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("remote_actor_id", sa.String(length=32), nullable=False),
        sa.Column("object_uri", sa.String(length=2048), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["remote_actor_id"],
            ["ap_remote_actors.id"],
            name=op.f("fk_ap_reactions_remote_actor_id_ap_remote_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_reactions")),
        sa.UniqueConstraint("uri", name=op.f("uq_ap_reactions_uri")),
    )
    op.create_index(op.f("ix_ap_reactions_object_uri"), "ap_reactions", ["object_uri"])
    op.create_index(op.f("ix_ap_reactions_remote_actor_id"), "ap_reactions", ["remote_actor_id"])
    op.create_table(
        "ap_replies",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("remote_actor_id", sa.String(length=32), nullable=False),
        sa.Column("in_reply_to", sa.String(length=2048), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["remote_actor_id"],
            ["ap_remote_actors.id"],
            name=op.f("fk_ap_replies_remote_actor_id_ap_remote_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_replies")),
        sa.UniqueConstraint("uri", name=op.f("uq_ap_replies_uri")),
    )
    op.create_index(op.f("ix_ap_replies_in_reply_to"), "ap_replies", ["in_reply_to"])
    op.create_index(op.f("ix_ap_replies_remote_actor_id"), "ap_replies", ["remote_actor_id"])
    op.create_table(
        "ap_reports",
        sa.Column("id", SERIAL, nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("remote_actor_id", sa.String(length=32), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("object_uris", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["remote_actor_id"],
            ["ap_remote_actors.id"],
            name=op.f("fk_ap_reports_remote_actor_id_ap_remote_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_reports")),
        sa.UniqueConstraint("uri", name=op.f("uq_ap_reports_uri")),
    )
    op.create_index(op.f("ix_ap_reports_remote_actor_id"), "ap_reports", ["remote_actor_id"])


def downgrade() -> None:
    for table in (
        "ap_reports",
        "ap_replies",
        "ap_reactions",
        "ap_following",
        "ap_followers",
        "ap_blocks",
        "ap_remote_actors",
        "ap_outbox",
        "ap_member_actors",
        "ap_instance_keys",
        "ap_inbox",
    ):
        op.drop_table(table)
