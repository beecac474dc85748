"""Files (images of an article's body, files it links) are captured as pages of kind "file": a
capture of a file remembers the article version that referenced it and the media type its
bytes are. Columns are added in place (no copy of the capture table, which other tables
reference and which holds most of an archive's rows); so referrer_version_id is an indexed
version id without a foreign-key constraint (SQLite adds none in place), kept right by the one
write path.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("capture", sa.Column("referrer_version_id", sa.Integer(), nullable=True))
    op.add_column("capture", sa.Column("media_type", sa.String(length=128), nullable=True))
    op.create_index(
        op.f("ix_capture_referrer_version_id"), "capture", ["referrer_version_id"], unique=False
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_capture_referrer_version_id"), table_name="capture")
    # In place too (SQLite 3.35+ drops a column without copying the table).
    op.execute("ALTER TABLE capture DROP COLUMN media_type")
    op.execute("ALTER TABLE capture DROP COLUMN referrer_version_id")
