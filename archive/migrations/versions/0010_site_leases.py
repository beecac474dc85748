"""Site leases: which worker may crawl a site now (newsarchive worker), and how its last crawl
ended. A new table; nothing else changes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "site_lease",
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("last_holder", sa.String(length=255), nullable=True),
        sa.Column("last_started_at", sa.DateTime(), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(), nullable=True),
        sa.Column("last_exit_code", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("site", name=op.f("pk_site_lease")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("site_lease")
