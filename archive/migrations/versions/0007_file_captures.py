"""Files (images of an article's body, files it links) are captured as pages of kind "file": a
capture of a file remembers the article version that referenced it and the media type its
bytes are.

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
    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referrer_version_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("media_type", sa.String(length=128), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_capture_referrer_version_id"), ["referrer_version_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_capture_referrer_version_id_version"),
            "version",
            ["referrer_version_id"],
            ["id"],
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_capture_referrer_version_id_version"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_capture_referrer_version_id"))
        batch_op.drop_column("media_type")
        batch_op.drop_column("referrer_version_id")
