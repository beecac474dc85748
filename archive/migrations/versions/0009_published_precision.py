"""A version keeps how precise its page's date was (day, minute, second): a page that gives only
a date is a day, not midnight. Added in place; versions written before have none (NULL), and
their record digests stay as they were (archive.records.record_sha256 leaves it out while empty).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("version", sa.Column("published_precision", sa.String(length=8), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    # In place too (SQLite 3.35+ drops a column without copying the table).
    op.execute("ALTER TABLE version DROP COLUMN published_precision")
