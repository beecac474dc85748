"""Compact captures (issue 15 §3): a quiet re-check's row holds little more than its time,
outcome and chain digest.

- capture.captured_at: integer microseconds since the epoch (archive.columns.EpochMicros). SQLite
  keeps the declared type (DATETIME) and its values are converted in place; PostgreSQL's column
  becomes BIGINT.
- capture.chain_sha256: its 32 bytes (archive.columns.Digest); SQLite keeps VARCHAR(64),
  PostgreSQL's column becomes bytea.
- capture.outcome: one character (archive.columns.OutcomeCode), the column as it was.
- capture.requested_url, final_url, headers: relative to the page's base capture where they
  repeat it (archive.captures, archive.packing): the same URL, headers as operations on the
  base's (a delta). PostgreSQL's URL columns become bytea (their text as UTF-8).
- capture.etag, last_modified go: every writer took them from the capture's headers, where they
  are read now (archive.columns.header). The upgrade refuses an archive where they differ.
- ix_capture_referrer_version_id holds only the captures that have a referrer (files').

The downgrade restores every value and stored form: times as SQLAlchemy's text, digests as hex,
outcomes as words,
URLs whole, headers packed whole with the site's dictionary of small JSON values as they were
(a capture's headers are made relative only where packing them so gives back their stored
bytes), the validators from the headers. On SQLite the two restored columns come last.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from archive import codec, columns, packing

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFERRER_INDEX = "ix_capture_referrer_version_id"
# Pages converted per batch: all of a page's captures are read together (its base among them).
PAGES = 500
# How SQLAlchemy's SQLite dialect writes a time (always with microseconds).
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
COLUMNS = ("id", "captured_at", "requested_url", "final_url", "headers", "chain_sha256", "outcome")


def upgrade() -> None:
    """Upgrade schema."""
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    if not sqlite:
        op.alter_column(
            "capture",
            "captured_at",
            type_=sa.BigInteger(),
            postgresql_using="(extract(epoch from captured_at) * 1000000)::bigint",
        )
        op.alter_column(
            "capture",
            "chain_sha256",
            type_=sa.LargeBinary(),
            postgresql_using="decode(chain_sha256, 'hex')",
        )
        for name in ("requested_url", "final_url"):
            op.alter_column(
                "capture",
                name,
                type_=sa.LargeBinary(),
                postgresql_using=f"convert_to({name}, 'UTF8')",
            )
    _convert(connection, _compacted)
    if sqlite:
        op.execute("ALTER TABLE capture DROP COLUMN etag")
        op.execute("ALTER TABLE capture DROP COLUMN last_modified")
    else:
        op.drop_column("capture", "etag")
        op.drop_column("capture", "last_modified")
    op.drop_index(REFERRER_INDEX, table_name="capture")
    where = sa.text("referrer_version_id IS NOT NULL")
    op.create_index(
        REFERRER_INDEX,
        "capture",
        ["referrer_version_id"],
        sqlite_where=where,
        postgresql_where=where,
    )


def downgrade() -> None:
    """Downgrade schema."""
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    op.drop_index(REFERRER_INDEX, table_name="capture")
    op.create_index(REFERRER_INDEX, "capture", ["referrer_version_id"])
    if sqlite:
        op.execute("ALTER TABLE capture ADD COLUMN etag VARCHAR(255)")
        op.execute("ALTER TABLE capture ADD COLUMN last_modified VARCHAR(64)")
    else:
        op.add_column("capture", sa.Column("etag", sa.String(length=255), nullable=True))
        op.add_column("capture", sa.Column("last_modified", sa.String(length=64), nullable=True))
    _convert(connection, _whole)
    if not sqlite:
        for name in ("requested_url", "final_url"):
            op.alter_column(
                "capture",
                name,
                type_=sa.String(length=2048),
                postgresql_using=f"convert_from({name}, 'UTF8')",
            )
        op.alter_column(
            "capture",
            "chain_sha256",
            type_=sa.String(length=64),
            postgresql_using="encode(chain_sha256, 'hex')",
        )
        op.alter_column(
            "capture",
            "captured_at",
            type_=sa.DateTime(),
            postgresql_using="timestamp '1970-01-01' + captured_at * interval '1 microsecond'",
        )


class _Context:
    """What converting a capture needs: the archive's dictionaries, and each site's dictionary
    of small JSON values (the one its headers are packed with)."""

    def __init__(self, connection: sa.Connection) -> None:
        self.sqlite = connection.dialect.name == "sqlite"
        self.dictionaries: dict[int, codec.ZstdDict] = {}
        self.meta: dict[int, codec.ZstdDict] = {}
        found = connection.execute(
            sa.text(
                "SELECT site_id, kind, zstd_id, content FROM compression_dictionary ORDER BY id"
            )
        )
        for site_id, kind, zstd_id, content in found:
            dictionary = codec.ZstdDict(bytes(content))
            self.dictionaries[int(zstd_id)] = dictionary
            if kind == "meta":
                self.meta[int(site_id)] = dictionary  # the newest, as the writer packs with

    def text(self, stored: Any) -> str:
        return packing.unpack_using(stored, self.dictionaries.__getitem__)

    def stored(self, value: str | bytes) -> Any:
        """A value as this engine's column holds it (PostgreSQL's: bytes)."""
        if isinstance(value, str) and not self.sqlite:
            return value.encode("utf-8")
        return value

    def packed(self, headers: str, site_id: int) -> Any:
        return self.stored(packing.pack(headers, self.meta.get(site_id)))


def _convert(connection: sa.Connection, convert: Any) -> None:
    """Every page's captures, a batch of pages at a time, through `convert`."""
    context = _Context(connection)
    pages = [
        tuple(row)
        for row in connection.execute(
            sa.text(
                "SELECT DISTINCT p.id, p.site_id FROM page p JOIN capture c ON c.page_id = p.id"
            )
        )
    ]
    selected = ", ".join(f"c.{name}" for name in COLUMNS)
    for start in range(0, len(pages), PAGES):
        batch = dict(pages[start : start + PAGES])
        query = sa.text(
            f"SELECT c.page_id, {selected}, {_validators(connection)} FROM capture c "
            "WHERE c.page_id IN :pages ORDER BY c.page_id, c.captured_at, c.id"
        ).bindparams(sa.bindparam("pages", expanding=True))
        rows = connection.execute(query, {"pages": list(batch)}).all()
        by_page: dict[int, list[Any]] = {}
        for row in rows:
            by_page.setdefault(row.page_id, []).append(row)
        for page_id, captures in by_page.items():
            for values in convert(context, batch[page_id], captures):
                capture_id = values.pop("id")
                assignments = ", ".join(f"{name} = :{name}" for name in values)
                connection.execute(
                    sa.text(f"UPDATE capture SET {assignments} WHERE id = :id"),
                    {**values, "id": capture_id},
                )


def _validators(connection: sa.Connection) -> str:
    """The validator columns where they exist (before the upgrade), else NULLs."""
    names = {c["name"] for c in sa.inspect(connection).get_columns("capture")}
    if "etag" in names:
        return "c.etag, c.last_modified"
    return "NULL AS etag, NULL AS last_modified"


def _compacted(context: _Context, site_id: int, captures: list[Any]) -> list[dict[str, Any]]:
    """The new stored values of one page's captures, oldest first (archive.captures's rule:
    relative to the latest capture stored whole where the requested URL is its)."""
    base: tuple[int, str, str, str] | None = None
    updates = []
    for row in captures:
        headers = context.text(row.headers)
        for name, value in (("ETag", row.etag), ("Last-Modified", row.last_modified)):
            if value != columns.header(json.loads(headers), name):
                raise RuntimeError(
                    f"capture {row.id}'s {name} is not the one its headers hold: revision 0014 "
                    "keeps only the headers"
                )
        if row.outcome not in columns.OUTCOME_CODES:
            raise RuntimeError(f"capture {row.id}'s outcome {row.outcome!r} is none 0014 knows")
        values: dict[str, Any] = {"id": row.id, "outcome": columns.OUTCOME_CODES[row.outcome]}
        if context.sqlite:
            values["captured_at"] = _micros(row.id, row.captured_at)
            if row.chain_sha256 is not None:
                values["chain_sha256"] = _digest(row.id, row.chain_sha256)
        requested, final = context.text(row.requested_url), context.text(row.final_url)
        if base is None or requested != base[1]:
            base = (row.id, requested, final, headers)
        else:
            values["requested_url"] = packing.relative(base[0])
            if final == base[2]:
                values["final_url"] = packing.relative(base[0])
            # Made relative only where packing the text again gives back its stored bytes:
            # then the downgrade restores them.
            if context.packed(headers, site_id) == _bytes_or_text(row.headers):
                delta = packing.relative(base[0], packing.make_delta(headers, base[3]))
                if len(delta) < _size(row.headers):
                    values["headers"] = delta
        if len(values) > 1:
            updates.append(values)
    return updates


def _whole(context: _Context, site_id: int, captures: list[Any]) -> list[dict[str, Any]]:
    """The stored values revision 0013 held, of one page's captures."""
    whole: dict[int, dict[str, str]] = {}
    updates = []
    for row in captures:
        values: dict[str, Any] = {"id": row.id, "outcome": columns.OUTCOME_WORDS[row.outcome]}
        text = {}
        for name in packing.RELATIVE_COLUMNS:
            stored = getattr(row, name)
            if packing.is_relative(stored):
                base_id, delta = packing.split_relative(bytes(stored))
                text[name] = packing.apply_delta(whole[base_id][name], delta)
                if name == "headers":
                    values[name] = context.packed(text[name], site_id)
                else:
                    values[name] = context.stored(text[name])
            else:
                text[name] = context.text(stored)
        whole[row.id] = text
        headers = json.loads(text["headers"])
        values["etag"] = columns.header(headers, "ETag")
        values["last_modified"] = columns.header(headers, "Last-Modified")
        if context.sqlite:
            moment = columns.from_micros(row.captured_at)
            values["captured_at"] = moment.replace(tzinfo=None).strftime(SQLITE_TIME)
            if row.chain_sha256 is not None:
                values["chain_sha256"] = bytes(row.chain_sha256).hex()
        updates.append(values)
    return updates


def _micros(capture_id: int, stored: Any) -> int:
    moment = datetime.fromisoformat(stored)
    if moment.strftime(SQLITE_TIME) != stored:
        raise RuntimeError(f"capture {capture_id}'s time {stored!r} is not as SQLAlchemy writes it")
    return columns.micros(moment.replace(tzinfo=UTC))


def _digest(capture_id: int, stored: Any) -> bytes:
    if not isinstance(stored, str) or len(stored) != 64 or stored != stored.lower():
        raise RuntimeError(f"capture {capture_id}'s chain digest {stored!r} is not 64 hex digits")
    return bytes.fromhex(stored)


def _bytes_or_text(stored: Any) -> Any:
    return bytes(stored) if isinstance(stored, memoryview) else stored


def _size(stored: Any) -> int:
    return len(stored.encode("utf-8")) if isinstance(stored, str) else len(stored)
