"""Lifecycle, URL aliases, events, change classes; existing archives are backfilled.

Pages get their lifecycle state, revisit bookkeeping and validators; every page's first URL goes
into page_url; versions get links, change classes and character counts, derived from history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

"""

import difflib
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "page_url",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["page_id"], ["page.id"], name=op.f("fk_page_url_page_id_page")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_url")),
        sa.UniqueConstraint("url", name=op.f("uq_page_url_url")),
    )
    with op.batch_alter_table("page_url", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_page_url_page_id"), ["page_id"], unique=False)

    op.create_table(
        "page_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["capture.id"], name=op.f("fk_page_event_capture_id_capture")
        ),
        sa.ForeignKeyConstraint(["page_id"], ["page.id"], name=op.f("fk_page_event_page_id_page")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_run.id"], name=op.f("fk_page_event_run_id_crawl_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_event")),
    )
    with op.batch_alter_table("page_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_page_event_at"), ["at"], unique=False)
        batch_op.create_index("ix_page_event_page_id_at", ["page_id", "at"], unique=False)

    with op.batch_alter_table("page", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("current_url", sa.String(length=2048), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), server_default="live", nullable=False)
        )
        batch_op.add_column(sa.Column("state_since", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("published_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_changed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_listed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("is_listed", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(sa.Column("etag", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("last_modified", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("missing_since", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("missing_checks", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index("ix_page_site_id_doc_id", ["site_id", "doc_id"], unique=False)

    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("links", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("classes", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("chars_added", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("chars_removed", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index("ix_version_created_at", ["created_at"], unique=False)

    with op.batch_alter_table("version_change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change_class", sa.String(length=16), nullable=True))

    _backfill(op.get_bind())


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("version_change", schema=None) as batch_op:
        batch_op.drop_column("change_class")

    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.drop_index("ix_version_created_at")
        batch_op.drop_column("chars_removed")
        batch_op.drop_column("chars_added")
        batch_op.drop_column("classes")
        batch_op.drop_column("links")

    with op.batch_alter_table("page", schema=None) as batch_op:
        batch_op.drop_index("ix_page_site_id_doc_id")
        batch_op.drop_column("missing_checks")
        batch_op.drop_column("missing_since")
        batch_op.drop_column("last_modified")
        batch_op.drop_column("etag")
        batch_op.drop_column("is_listed")
        batch_op.drop_column("last_listed_at")
        batch_op.drop_column("last_changed_at")
        batch_op.drop_column("published_at")
        batch_op.drop_column("state_since")
        batch_op.drop_column("state")
        batch_op.drop_column("current_url")

    with op.batch_alter_table("page_event", schema=None) as batch_op:
        batch_op.drop_index("ix_page_event_page_id_at")
        batch_op.drop_index(batch_op.f("ix_page_event_at"))

    op.drop_table("page_event")
    with op.batch_alter_table("page_url", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_page_url_page_id"))

    op.drop_table("page_url")


PAGE = sa.table(
    "page",
    sa.column("id", sa.Integer),
    sa.column("url", sa.String),
    sa.column("published_at", sa.DateTime),
)
VERSION = sa.table(
    "version",
    sa.column("id", sa.Integer),
    sa.column("classes", sa.JSON),
    sa.column("chars_added", sa.Integer),
    sa.column("chars_removed", sa.Integer),
)
CHANGE = sa.table(
    "version_change", sa.column("id", sa.Integer), sa.column("change_class", sa.String)
)


def _backfill(bind: sa.Connection) -> None:
    """Derives the new columns of an existing archive from its history (no history row changes)."""
    statements = [
        "UPDATE page SET current_url = url, state_since = first_seen_at",
        "INSERT INTO page_url (page_id, url, first_seen_at) SELECT id, url, first_seen_at FROM page",
        "UPDATE page SET last_changed_at = (SELECT max(v.created_at) FROM version v "
        "WHERE v.page_id = page.id)",
        "UPDATE page SET etag = (SELECT c.etag FROM capture c WHERE c.page_id = page.id "
        "AND c.status IN (200, 304) ORDER BY c.captured_at DESC, c.id DESC LIMIT 1)",
        "UPDATE page SET last_modified = (SELECT c.last_modified FROM capture c "
        "WHERE c.page_id = page.id AND c.status IN (200, 304) "
        "ORDER BY c.captured_at DESC, c.id DESC LIMIT 1)",
        "UPDATE page SET state = 'gone' WHERE last_outcome IN ('not-found', 'soft-404')",
    ]
    for statement in statements:
        bind.execute(sa.text(statement))
    _backfill_published_at(bind)
    _backfill_version_classes(bind)


def _backfill_published_at(bind: sa.Connection) -> None:
    rows = bind.execute(
        sa.text(
            "SELECT v.page_id, v.published_at FROM version v WHERE v.number = "
            "(SELECT max(w.number) FROM version w WHERE w.page_id = v.page_id) "
            "AND v.published_at IS NOT NULL"
        )
    )
    for page_id, published in rows.all():
        moment = datetime.fromisoformat(published).astimezone(UTC).replace(tzinfo=None)
        bind.execute(PAGE.update().where(PAGE.c.id == page_id).values(published_at=moment))


def _backfill_version_classes(bind: sa.Connection) -> None:
    """Classes are the changed fields (body_html has none); cosmetic could not be told apart then."""
    changes = bind.execute(sa.text("SELECT id, version_id, field FROM version_change")).all()
    classes: dict[int, list[str]] = {}
    for change_id, version_id, field in changes:
        change_class = None if field == "body_html" else field
        bind.execute(
            CHANGE.update().where(CHANGE.c.id == change_id).values(change_class=change_class)
        )
        if change_class:
            classes.setdefault(version_id, []).append(change_class)
    pairs = bind.execute(
        sa.text("SELECT v.id, v.body, p.body FROM version v JOIN version p ON p.id = v.parent_id")
    ).all()
    for version_id, body, parent_body in pairs:
        added, removed = _char_counts(parent_body, body)
        values = {
            "classes": classes.get(version_id, []),
            "chars_added": added,
            "chars_removed": removed,
        }
        bind.execute(VERSION.update().where(VERSION.c.id == version_id).values(**values))


def _char_counts(old: str, new: str) -> tuple[int, int]:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    added = removed = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed
