"""Fixity: the chain digest of every capture and of every finished run.

Captures written before this revision have no chain digest; verification starts from the first
capture that has one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_sha256", sa.String(length=64), nullable=True))

    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.drop_column("chain_sha256")

    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.drop_column("chain_sha256")
