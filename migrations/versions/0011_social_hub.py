"""The social hub: members' statuses, the posts of the accounts they follow, and their notifications.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ap_local_statuses",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("in_reply_to", sa.String(length=2048), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_local_statuses")),
        sa.UniqueConstraint("uri", name=op.f("uq_ap_local_statuses_uri")),
    )
    op.create_index("ix_ap_local_statuses_listing", "ap_local_statuses", ["user_id", "published_at", "id"])
    op.create_table(
        "ap_timeline_items",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("remote_actor_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("boost_of", sa.String(length=2048), nullable=True),
        sa.Column("in_reply_to", sa.String(length=2048), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["remote_actor_id"],
            ["ap_remote_actors.id"],
            name=op.f("fk_ap_timeline_items_remote_actor_id_ap_remote_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_timeline_items")),
        sa.UniqueConstraint("uri", name=op.f("uq_ap_timeline_items_uri")),
    )
    op.create_index("ix_ap_timeline_items_listing", "ap_timeline_items", ["remote_actor_id", "published_at", "id"])
    op.create_table(
        "ap_notifications",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("remote_actor_id", sa.String(length=32), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("status_id", sa.String(length=32), nullable=True),
        sa.Column("reply_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["remote_actor_id"],
            ["ap_remote_actors.id"],
            name=op.f("fk_ap_notifications_remote_actor_id_ap_remote_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_id"],
            ["ap_local_statuses.id"],
            name=op.f("fk_ap_notifications_status_id_ap_local_statuses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reply_id"], ["ap_replies.id"], name=op.f("fk_ap_notifications_reply_id_ap_replies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_notifications")),
        sa.UniqueConstraint("uri", name=op.f("uq_ap_notifications_uri")),
    )
    op.create_index("ix_ap_notifications_listing", "ap_notifications", ["user_id", "created_at", "id"])
    op.create_index(op.f("ix_ap_notifications_remote_actor_id"), "ap_notifications", ["remote_actor_id"])
    op.create_index(op.f("ix_ap_notifications_status_id"), "ap_notifications", ["status_id"])
    op.create_index(op.f("ix_ap_notifications_reply_id"), "ap_notifications", ["reply_id"])


def downgrade() -> None:
    op.drop_table("ap_notifications")
    op.drop_table("ap_timeline_items")
    op.drop_table("ap_local_statuses")
