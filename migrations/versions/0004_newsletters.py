"""Newsletters, subscriptions, issues and their deliveries (the account subgraph).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "newsletters",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("cadence", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletters")),
        sa.UniqueConstraint("name", name=op.f("uq_newsletters_name")),
    )
    op.create_index(op.f("ix_newsletters_created_at"), "newsletters", ["created_at"])
    op.create_table(
        "newsletter_subscriptions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("newsletter_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("confirm_token_hash", sa.String(length=64), nullable=True),
        sa.Column("confirm_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirm_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["newsletter_id"],
            ["newsletters.id"],
            name=op.f("fk_newsletter_subscriptions_newsletter_id_newsletters"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_subscriptions")),
        sa.UniqueConstraint("confirm_token_hash", name=op.f("uq_newsletter_subscriptions_confirm_token_hash")),
        sa.UniqueConstraint("newsletter_id", "email", name=op.f("uq_newsletter_subscriptions_newsletter_id")),
    )
    op.create_index(
        "ix_newsletter_subscriptions_newsletter_id_status", "newsletter_subscriptions", ["newsletter_id", "status"]
    )
    op.create_index(op.f("ix_newsletter_subscriptions_user_id"), "newsletter_subscriptions", ["user_id"])
    op.create_table(
        "newsletter_issues",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("newsletter_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("post_ids", sa.JSON(), nullable=False),
        sa.Column("posts_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["newsletter_id"], ["newsletters.id"], name=op.f("fk_newsletter_issues_newsletter_id_newsletters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_issues")),
        sa.UniqueConstraint("newsletter_id", "number", name=op.f("uq_newsletter_issues_newsletter_id")),
    )
    op.create_table(
        "newsletter_deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subscription_id", sa.String(length=32), nullable=False),
        sa.Column("issue_id", sa.String(length=32), nullable=True),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("link_token", sa.String(length=64), nullable=True),
        sa.Column("unsubscribe_token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["newsletter_issues.id"], name=op.f("fk_newsletter_deliveries_issue_id_newsletter_issues")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["newsletter_subscriptions.id"],
            name=op.f("fk_newsletter_deliveries_subscription_id_newsletter_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_deliveries")),
        sa.UniqueConstraint("issue_id", "subscription_id", name=op.f("uq_newsletter_deliveries_issue_id")),
        sa.UniqueConstraint("message_id", name=op.f("uq_newsletter_deliveries_message_id")),
        sa.UniqueConstraint("unsubscribe_token_hash", name=op.f("uq_newsletter_deliveries_unsubscribe_token_hash")),
    )
    op.create_index("ix_newsletter_deliveries_status_available_at", "newsletter_deliveries", ["status", "available_at"])
    op.create_index(op.f("ix_newsletter_deliveries_subscription_id"), "newsletter_deliveries", ["subscription_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_newsletter_deliveries_subscription_id"), table_name="newsletter_deliveries")
    op.drop_index("ix_newsletter_deliveries_status_available_at", table_name="newsletter_deliveries")
    op.drop_table("newsletter_deliveries")
    op.drop_table("newsletter_issues")
    op.drop_index(op.f("ix_newsletter_subscriptions_user_id"), table_name="newsletter_subscriptions")
    op.drop_index("ix_newsletter_subscriptions_newsletter_id_status", table_name="newsletter_subscriptions")
    op.drop_table("newsletter_subscriptions")
    op.drop_index(op.f("ix_newsletters_created_at"), table_name="newsletters")
    op.drop_table("newsletters")
