"""Per-field character counts, a digest of every stored field of a version, and two views.

- version_change.chars_added/chars_removed: each changed field counted as diff counts it; the
  version's own totals become the sum over its classed fields (they counted the body only).
- version.record_sha256: verify checks every stored field of the record, body_html included.
  Versions written before this revision get it from their fields as they are now.
- page.published_at follows the latest version, reparsed ones included.
- Views latest_version and change_log, for reading the file in sqlite3 or Datasette. A later
  migration that alters version, page or page_event in batch mode (SQLite copies the table)
  drops these views first and creates them again after.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from archive.changes import version_counts
from archive.diff import field_counts
from archive.records import record_sha256

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON_FIELDS = {"images", "attachments", "links"}
# The record's fields as they were at this revision (later ones, added by later migrations, are
# not columns yet when this one runs).
RECORD_FIELDS = (
    "title",
    "published_at",
    "source",
    "editor",
    "author",
    "column",
    "body",
    "body_html",
    "images",
    "attachments",
    "links",
    "doc_id",
)
VERSION = sa.table(
    "version",
    sa.column("id", sa.Integer),
    sa.column("page_id", sa.Integer),
    sa.column("number", sa.Integer),
    sa.column("parent_id", sa.Integer),
    sa.column("chars_added", sa.Integer),
    sa.column("chars_removed", sa.Integer),
    sa.column("record_sha256", sa.String),
    *(sa.column(name, sa.JSON if name in _JSON_FIELDS else sa.Text) for name in RECORD_FIELDS),
)
CHANGE = sa.table(
    "version_change",
    sa.column("id", sa.Integer),
    sa.column("version_id", sa.Integer),
    sa.column("field", sa.String),
    sa.column("change_class", sa.String),
    sa.column("chars_added", sa.Integer),
    sa.column("chars_removed", sa.Integer),
)
PAGE = sa.table("page", sa.column("id", sa.Integer), sa.column("published_at", sa.DateTime))

LATEST_VERSION = """
CREATE VIEW latest_version AS
SELECT p.current_url AS url, s.name AS site, p.state AS state, p.is_listed AS is_listed,
       v.number AS version, v.created_at AS captured_at, v.title AS title,
       v.published_at AS published_at, v.source AS source, v.editor AS editor,
       v.author AS author, v."column" AS "column", v.body AS body, v.doc_id AS doc_id,
       v.classes AS classes
FROM page p
JOIN site s ON s.id = p.site_id
JOIN version v ON v.page_id = p.id
WHERE v.number = (SELECT max(latest.number) FROM version latest WHERE latest.page_id = p.id)
"""
CHANGE_LOG = """
CREATE VIEW change_log AS
SELECT v.created_at AS at, p.current_url AS url,
       CASE WHEN v.number = 1 THEN 'new'
            WHEN CAST(v.classes AS TEXT) = '["reparse"]' THEN 'reparsed'
            ELSE 'changed' END AS kind,
       v.number AS version, CAST(v.classes AS TEXT) AS detail, v.title AS title
FROM version v JOIN page p ON p.id = v.page_id
UNION ALL
SELECT e.at AS at, p.current_url AS url, e.kind AS kind, NULL AS version,
       CAST(e.detail AS TEXT) AS detail,
       (SELECT t.title FROM version t WHERE t.page_id = p.id ORDER BY t.number DESC LIMIT 1)
FROM page_event e JOIN page p ON p.id = e.page_id
"""


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_sha256", sa.String(length=64), nullable=True))
    with op.batch_alter_table("version_change", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("chars_added", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("chars_removed", sa.Integer(), server_default="0", nullable=False)
        )
    _backfill_versions(op.get_bind())
    op.execute(LATEST_VERSION)
    op.execute(CHANGE_LOG)


def _backfill_versions(connection: sa.Connection) -> None:
    """Each version's record digest; each changed field's counts against the parent version;
    each page's publication time from its latest version."""
    fields: dict[int, dict[str, Any]] = {}
    parents: dict[int, int | None] = {}
    latest: dict[int, int] = {}
    for row in connection.execute(sa.select(VERSION).order_by(VERSION.c.page_id, VERSION.c.number)):
        fields[row.id] = {name: row._mapping[name] for name in RECORD_FIELDS}
        parents[row.id] = row.parent_id
        latest[row.page_id] = row.id
    changes: dict[int, dict[str, str | None]] = {}
    for change in connection.execute(sa.select(CHANGE)):
        changes.setdefault(change.version_id, {})[change.field] = change.change_class
    for version_id, own in fields.items():
        values: dict[str, Any] = {"record_sha256": record_sha256(own)}
        parent = parents[version_id]
        classes = changes.get(version_id, {})
        if parent is not None and classes:
            counts = field_counts(fields[parent], own, classes)
            values["chars_added"], values["chars_removed"] = version_counts(counts, classes)
            _store_field_counts(connection, version_id, counts)
        connection.execute(sa.update(VERSION).where(VERSION.c.id == version_id).values(values))
    for page_id, version_id in latest.items():
        _store_published_at(connection, page_id, fields[version_id]["published_at"])


def _store_field_counts(
    connection: sa.Connection, version_id: int, counts: dict[str, tuple[int, int]]
) -> None:
    for name, (added, removed) in counts.items():
        connection.execute(
            sa.update(CHANGE)
            .where(CHANGE.c.version_id == version_id, CHANGE.c.field == name)
            .values(chars_added=added, chars_removed=removed)
        )


def _store_published_at(connection: sa.Connection, page_id: int, published: str | None) -> None:
    """The page's publication time is its latest version's, in UTC like every time column."""
    instant = datetime.fromisoformat(published) if published else None
    naive_utc = instant.astimezone(UTC).replace(tzinfo=None) if instant else None
    connection.execute(sa.update(PAGE).where(PAGE.c.id == page_id).values(published_at=naive_utc))


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DROP VIEW change_log")
    op.execute("DROP VIEW latest_version")
    with op.batch_alter_table("version_change", schema=None) as batch_op:
        batch_op.drop_column("chars_removed")
        batch_op.drop_column("chars_added")
    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.drop_column("record_sha256")
