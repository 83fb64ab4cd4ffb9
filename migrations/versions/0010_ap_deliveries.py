"""ActivityPub deliveries: one row per activity and inbox, and what deliveries learn of each remote host.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ap_deliveries",
        sa.Column("id", SERIAL, nullable=False),
        sa.Column("outbox_id", sa.BigInteger(), nullable=False),
        sa.Column("inbox", sa.String(length=2048), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["ap_outbox.id"], name=op.f("fk_ap_deliveries_outbox_id_ap_outbox"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_deliveries")),
    )
    op.create_index("ix_ap_deliveries_status_available_at", "ap_deliveries", ["status", "available_at"])
    op.create_index(op.f("ix_ap_deliveries_outbox_id"), "ap_deliveries", ["outbox_id"])
    op.create_index(op.f("ix_ap_deliveries_host"), "ap_deliveries", ["host"])
    op.create_table(
        "ap_delivery_hosts",
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("signature_scheme", sa.String(length=40), nullable=True),
        sa.Column("accept_signature", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("open_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("host", name=op.f("pk_ap_delivery_hosts")),
    )


def downgrade() -> None:
    op.drop_table("ap_delivery_hosts")
    op.drop_table("ap_deliveries")
