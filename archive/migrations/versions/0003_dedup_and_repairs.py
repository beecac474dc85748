"""Deduplication and repairs: page links, the similarity index, mirror copies, bylines.

Versions written before this revision have no content key and no similarity bands: they are
matched against from their next version on.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "page_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("other_page_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("similarity", sa.Double(), nullable=False),
        sa.Column("found_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["other_page_id"], ["page.id"], name=op.f("fk_page_link_other_page_id_page")
        ),
        sa.ForeignKeyConstraint(["page_id"], ["page.id"], name=op.f("fk_page_link_page_id_page")),
        sa.ForeignKeyConstraint(
            ["version_id"], ["version.id"], name=op.f("fk_page_link_version_id_version")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_link")),
    )
    with op.batch_alter_table("page_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_page_link_other_page_id"), ["other_page_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_page_link_page_id"), ["page_id"], unique=False)

    op.create_table(
        "similarity_band",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.Integer(), nullable=False),
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"], ["page.id"], name=op.f("fk_similarity_band_page_id_page")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["version.id"], name=op.f("fk_similarity_band_version_id_version")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_similarity_band")),
    )
    with op.batch_alter_table("similarity_band", schema=None) as batch_op:
        batch_op.create_index("ix_similarity_band_band_key", ["band", "key"], unique=False)

    op.create_table(
        "mirror_copy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("captured_at", sa.DateTime(), nullable=False),
        sa.Column("similarity", sa.Double(), nullable=False),
        sa.Column("repairs", sa.JSON(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["capture.id"], name=op.f("fk_mirror_copy_capture_id_capture")
        ),
        sa.ForeignKeyConstraint(["page_id"], ["page.id"], name=op.f("fk_mirror_copy_page_id_page")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_copy")),
    )
    with op.batch_alter_table("mirror_copy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mirror_copy_page_id"), ["page_id"], unique=False)

    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("editor", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("author", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("repairs", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("content_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("signature", sa.LargeBinary(), nullable=True))
        batch_op.create_index(batch_op.f("ix_version_content_key"), ["content_key"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_version_content_key"))
        batch_op.drop_column("signature")
        batch_op.drop_column("content_key")
        batch_op.drop_column("repairs")
        batch_op.drop_column("author")
        batch_op.drop_column("editor")

    with op.batch_alter_table("mirror_copy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mirror_copy_page_id"))

    op.drop_table("mirror_copy")
    with op.batch_alter_table("similarity_band", schema=None) as batch_op:
        batch_op.drop_index("ix_similarity_band_band_key")

    op.drop_table("similarity_band")
    with op.batch_alter_table("page_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_page_link_page_id"))
        batch_op.drop_index(batch_op.f("ix_page_link_other_page_id"))

    op.drop_table("page_link")
