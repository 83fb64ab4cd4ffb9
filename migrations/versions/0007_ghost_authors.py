"""Ghost sync: which member each Ghost author became, and which Ghost posts were deleted there.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ghost_authors",
        sa.Column("ghost_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ghost_id", name=op.f("pk_ghost_authors")),
    )
    op.create_table(
        "ghost_deletions",
        sa.Column("ghost_id", sa.String(length=64), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ghost_id", name=op.f("pk_ghost_deletions")),
    )


def downgrade() -> None:
    op.drop_table("ghost_deletions")
    op.drop_table("ghost_authors")
