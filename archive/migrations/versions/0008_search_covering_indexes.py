"""Search over a large archive: covering indexes take it from the segments that hold a query
to the versions and pages holding them without reading the wide version rows (a 2-character
query held by thousands of articles).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index(
        "ix_version_segment_segment_id_version_id_field",
        "version_segment",
        ["segment_id", "version_id", "field"],
        unique=False,
    )
    # The new index begins with segment_id: the old one says nothing more.
    op.drop_index("ix_version_segment_segment_id", table_name="version_segment")
    op.create_index(
        "ix_version_id_page_id_number", "version", ["id", "page_id", "number"], unique=False
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_version_id_page_id_number", table_name="version")
    op.create_index(
        "ix_version_segment_segment_id", "version_segment", ["segment_id"], unique=False
    )
    op.drop_index("ix_version_segment_segment_id_version_id_field", table_name="version_segment")
