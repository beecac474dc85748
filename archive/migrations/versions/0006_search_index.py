"""Search over every version: segments (titles and paragraphs, stored once), which versions hold
them, and on SQLite an FTS5 index of their character pairs (archive.search). Versions written
before this revision are indexed here.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from archive.models import FTS_TABLE
from archive.search import index_version

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSION = sa.table(
    "version", sa.column("id", sa.Integer), sa.column("title", sa.Text), sa.column("body", sa.Text)
)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "text_segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_segment")),
        sa.UniqueConstraint("sha256", name=op.f("uq_text_segment_sha256")),
    )
    op.create_table(
        "version_segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["text_segment.id"],
            name=op.f("fk_version_segment_segment_id_text_segment"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["version.id"], name=op.f("fk_version_segment_version_id_version")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_version_segment")),
    )
    with op.batch_alter_table("version_segment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_version_segment_segment_id"), ["segment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_version_segment_version_id"), ["version_id"], unique=False
        )
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        op.execute(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(bi, content='', prefix='7')")
    for version_id, title, body in connection.execute(sa.select(VERSION)).all():
        index_version(connection, version_id, title, body)


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TABLE {FTS_TABLE}")
    with op.batch_alter_table("version_segment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_version_segment_version_id"))
        batch_op.drop_index(batch_op.f("ix_version_segment_segment_id"))
    op.drop_table("version_segment")
    op.drop_table("text_segment")
