"""The revisit backlog: ix_page_last_captured (site_id, kind, last_captured_at), the site's pages
of a kind in the order they were last captured (then by id, SQLite's rowid; PostgreSQL sorts the
ties), so the budget planner reads the articles past its floor, oldest capture first, as far as a
run's checks go (archive.checks.floor_backlog), and counts them from the index. Indexes only.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index(
        "ix_page_last_captured", "page", ["site_id", "kind", "last_captured_at"], unique=False
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_page_last_captured", table_name="page")
