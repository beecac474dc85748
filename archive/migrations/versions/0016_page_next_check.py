"""The budget planner's schedule: page.next_check_at, when an article's chance of a change since
its last check reaches the share the daily budget can afford (integer microseconds since the
epoch, as capture times; NULL until a crawl within a budget first weighs it), and
ix_page_next_check (site_id, kind, next_check_at), so a run's checks are read in that order as far
as the budget goes (archive.checks.scheduled_articles); and ix_page_published (site_id, kind,
published_at), so a plan counts the site's articles published in the last week (the daily
budget's share for new articles, archive.checks.site_load) from the index's range alone. A new
column, NULL everywhere, and two indexes.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # As archive.columns.EpochMicros declares it: DATETIME on SQLite (integers stay integers
    # in it), BIGINT elsewhere.
    sqlite = op.get_bind().dialect.name == "sqlite"
    kind = sa.DateTime() if sqlite else sa.BigInteger()
    op.add_column("page", sa.Column("next_check_at", kind, nullable=True))
    op.create_index(
        "ix_page_next_check", "page", ["site_id", "kind", "next_check_at"], unique=False
    )
    op.create_index("ix_page_published", "page", ["site_id", "kind", "published_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_page_published", table_name="page")
    op.drop_index("ix_page_next_check", table_name="page")
    # In place (SQLite 3.35 and later drop a column that no index or view names).
    op.drop_column("page", "next_check_at")
