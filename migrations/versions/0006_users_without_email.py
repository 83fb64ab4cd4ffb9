"""Users without an email: authors brought in by an import, who have no account of their own yet.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.alter_column("email", existing_type=sa.String(length=254), nullable=True)


def downgrade() -> None:
    # Going back requires every user to have an address; refuse rather than invent one.
    users = sa.table("users", sa.column("email", sa.String(length=254)))
    missing = op.get_bind().execute(sa.select(sa.func.count()).select_from(users).where(users.c.email.is_(None)))
    if missing.scalar_one():
        raise RuntimeError("cannot downgrade: some users have no email; give them one first")
    with op.batch_alter_table("users") as batch:
        batch.alter_column("email", existing_type=sa.String(length=254), nullable=False)
