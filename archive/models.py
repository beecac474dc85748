"""The archive's tables: typed SQLAlchemy models of sites, runs, pages, captures and versions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from archive.columns import Digest, EpochMicros, OutcomeCode
from archive.packing import PackedJSON, PackedText

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as naive UTC, so SQLite and PostgreSQL agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the archive stores aware times only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class Site(Base):
    """One row per site profile that has run."""

    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    origin: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class CrawlRun(Base):
    """One row per crawl or fetch: its arguments, times, counts and how it ended."""

    __tablename__ = "crawl_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    command: Mapped[str] = mapped_column(String(32))
    arguments: Mapped[dict[str, Any]]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))
    counts: Mapped[dict[str, Any]]
    exit_code: Mapped[int | None]
    # The chain digest of the run's last capture: kept by every transaction that writes its
    # captures, final when it finished (archive.fixity).
    chain_sha256: Mapped[str | None] = mapped_column(String(64))

    # The change report finds the degraded runs of its window through it (migration 0011).
    __table_args__ = (Index("ix_crawl_run_status_finished_at", "status", "finished_at"),)


REVISIT_SCHEDULE_COLUMNS = (
    "site_id",
    "kind",
    "state",
    "last_outcome",
    "last_captured_at",
    "published_at",
    "first_seen_at",
    "last_changed_at",
)


class Page(Base):
    """A tracked article or list page: its identity (the first URL) and its current state.

    Everything but the identity is derived from captures and versions, kept here so a crawl can
    plan revisits without reading history: the lifecycle state, the validators for conditional
    requests, when it was last listed, and the streak of 404s that may make it gone.
    """

    __tablename__ = "page"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    current_url: Mapped[str] = mapped_column(String(2048))
    kind: Mapped[str] = mapped_column(String(16))
    doc_id: Mapped[str | None] = mapped_column(String(64))
    first_seen_at: Mapped[datetime]
    last_captured_at: Mapped[datetime]
    last_status: Mapped[int | None]
    # One character (archive.columns.OUTCOMES, since 0015), read as the outcome's word.
    last_outcome: Mapped[str] = mapped_column(OutcomeCode)
    state: Mapped[str] = mapped_column(String(16), server_default="live")
    state_since: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    last_changed_at: Mapped[datetime | None]
    last_listed_at: Mapped[datetime | None]
    is_listed: Mapped[bool] = mapped_column(server_default=true())
    etag: Mapped[str | None] = mapped_column(String(255))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    missing_since: Mapped[datetime | None]
    missing_checks: Mapped[int] = mapped_column(server_default="0")
    # When the budget planner next wants the article checked: its chance of a change since its
    # last check reaches what the budget affords then (crawler.plan.nextcheck; None until a crawl
    # within a budget weighs it). Planner state, like the rest of the row (migration 0016).
    next_check_at: Mapped[datetime | None] = mapped_column(EpochMicros)

    __table_args__ = (
        # The crawl planner's due-revisits query reads these columns alone (archive.schedule);
        # its first two serve every look-up of a site's pages of a kind (migration 0011).
        Index("ix_page_revisit_schedule", *REVISIT_SCHEDULE_COLUMNS),
        Index("ix_page_site_id_doc_id", "site_id", "doc_id"),
        # The budget planner reads the articles past its floor, oldest capture first, through it
        # (archive.checks.floor_backlog; migration 0013).
        Index("ix_page_last_captured", "site_id", "kind", "last_captured_at"),
        # ... and the others in the order they fall due (archive.checks.scheduled_articles).
        Index("ix_page_next_check", "site_id", "kind", "next_check_at"),
        # A plan counts the articles published in the last week through it (site_load).
        Index("ix_page_published", "site_id", "kind", "published_at"),
        # export reads the pages in URL order through it (migration 0011).
        Index("ix_page_current_url", "current_url"),
    )


class PageUrl(Base):
    """Every URL a page has been known by (its first, and any it moved to): lookups go here."""

    __tablename__ = "page_url"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"), index=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    first_seen_at: Mapped[datetime]


class PageEvent(Base):
    """A lifecycle transition (unreachable, gone, reappeared, unlisted, moved…) and its cause."""

    __tablename__ = "page_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"))
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(index=True)
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id"))
    detail: Mapped[dict[str, Any]]

    __table_args__ = (Index("ix_page_event_page_id_at", "page_id", "at"),)


class CompressionDictionary(Base):
    """A Zstandard dictionary trained on one site's first payloads (kind "payload") or texts
    ("text"). Immutable: blobs name theirs by id, packed text by `zstd_id` (archive.packing)."""

    __tablename__ = "compression_dictionary"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    kind: Mapped[str] = mapped_column(String(16))
    # The id zstd wrote into the dictionary and into every frame made with it.
    zstd_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    samples: Mapped[int]
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_compression_dictionary_site_id_kind", "site_id", "kind"),)


class Blob(Base):
    """Raw response bytes, content-addressed by SHA-256 of those bytes, compressed, stored once.

    The stored form (archive.blobs): zlib or none (older archives), zstd (with the site's
    dictionary when `dictionary_id` is set), or zstd-delta: a frame written after the bytes of
    the blob `base_sha256` (an earlier payload of the same URL), `depth` deltas from a blob that
    stands alone. Re-encoding a blob (archive.compaction) changes its form, never its bytes.
    (No foreign-key constraints: migration 0012 added the columns in place.)"""

    __tablename__ = "blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    compression: Mapped[str] = mapped_column(String(16))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    dictionary_id: Mapped[int | None]
    base_sha256: Mapped[str | None] = mapped_column(String(64))
    depth: Mapped[int] = mapped_column(server_default="0")


VERSION_PAGE_INDEX = "ix_version_id_page_id_number"


class Version(Base):
    """An immutable extracted record of a page, numbered 1..n per page."""

    __tablename__ = "version"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"))
    number: Mapped[int]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("version.id"))
    created_at: Mapped[datetime]
    content_sha256: Mapped[str] = mapped_column(String(64))
    parser_version: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    published_at: Mapped[str | None] = mapped_column(String(32))
    # day, minute or second: how precise the page's date was (archive.records.ArticleRecord).
    published_precision: Mapped[str | None] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(Text)
    column: Mapped[str] = mapped_column(Text)
    # Packed with the site's text dictionary (archive.packing); read back as text.
    body: Mapped[str] = mapped_column(PackedText)
    body_html: Mapped[str] = mapped_column(PackedText)
    images: Mapped[list[Any]]
    attachments: Mapped[list[Any]]
    doc_id: Mapped[str | None] = mapped_column(String(64))
    links: Mapped[list[Any]] = mapped_column(server_default="[]")
    editor: Mapped[str] = mapped_column(Text, server_default="")
    author: Mapped[str] = mapped_column(Text, server_default="")
    repairs: Mapped[dict[str, Any]] = mapped_column(server_default="{}")
    # sha256 of title and body with typography folded: equal keys are the same article.
    content_key: Mapped[str | None] = mapped_column(String(64), index=True)
    # The body's MinHash signature (archive.text.similarity), to compare candidates without their text.
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Packed with the site's dictionary of small JSON values (archive.packing).
    provenance: Mapped[dict[str, Any]] = mapped_column(PackedJSON)
    classes: Mapped[list[Any]] = mapped_column(server_default="[]")
    # Characters added and removed in the changed fields that have a class (body_html, a
    # presentation of the others, has none), as diff counts them; per field in version_change.
    chars_added: Mapped[int] = mapped_column(server_default="0")
    chars_removed: Mapped[int] = mapped_column(server_default="0")
    # The SHA-256 of every stored field of the record (archive.records.record_sha256), for
    # verify; content_sha256 leaves body_html out, being the identity that decides a new version.
    record_sha256: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("page_id", "number", name="uq_version_page_id_number"),
        Index("ix_version_created_at", "created_at"),
        # Search reads a version's page and number by id from this, not from the wide rows.
        Index(VERSION_PAGE_INDEX, "id", "page_id", "number"),
    )


class VersionChange(Base):
    """One field of a version that differs from its parent."""

    __tablename__ = "version_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id"), index=True)
    field: Mapped[str] = mapped_column(String(32))
    change_class: Mapped[str | None] = mapped_column(String(16))
    # As diff counts them (archive.diff.field_counts).
    chars_added: Mapped[int] = mapped_column(server_default="0")
    chars_removed: Mapped[int] = mapped_column(server_default="0")


class PageLink(Base):
    """A finding that two pages carry the same article (exactly, or lightly re-edited)."""

    __tablename__ = "page_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"), index=True)
    other_page_id: Mapped[int] = mapped_column(ForeignKey("page.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    similarity: Mapped[float]
    found_at: Mapped[datetime]
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id"))


class SimilarityBand(Base):
    """One band of a version's MinHash signature: versions that share a band are candidates
    for near-duplicates, found through this index instead of a scan of every page. The table is
    its own index (SQLite: WITHOUT ROWID): keyed by band and key, each row holds its page."""

    __tablename__ = "similarity_band"

    band: Mapped[int]
    key: Mapped[int] = mapped_column(BigInteger)
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id"))
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"))

    __table_args__ = (
        PrimaryKeyConstraint("band", "key", "version_id"),
        {"sqlite_with_rowid": False},
    )


class MirrorCopy(Base):
    """A copy of an archived article found on another site, and what it took to repair it."""

    __tablename__ = "mirror_copy"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"), index=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("capture.id"))
    url: Mapped[str] = mapped_column(String(2048))
    captured_at: Mapped[datetime]
    similarity: Mapped[float]
    repairs: Mapped[dict[str, Any]]
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)


# The search index's FTS5 table on SQLite (archive.search): created by migration 0006, not a model.
FTS_TABLE = "segment_fts"


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """For Alembic's autogenerate: the FTS5 table and its shadow tables are not models."""
    return not (type_ == "table" and name is not None and name.startswith(FTS_TABLE))


class TextSegment(Base):
    """A title or paragraph of some version, stored once however many versions hold it: what
    search indexes (archive.search); `folded` is the text as search compares it, kept where the
    server scans it (PostgreSQL); on SQLite, where the FTS5 index has it, it is "" (a segment is
    never empty) for segments written since revision 0012."""

    __tablename__ = "text_segment"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The first 16 hex digits of the text's SHA-256, or all 64 (archive.search.SHORT_KEY).
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(PackedText)
    folded: Mapped[str] = mapped_column(Text)


class VersionSegment(Base):
    """Which segments a version holds, where: its title (position 0) and body paragraphs."""

    __tablename__ = "version_segment"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id"), index=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("text_segment.id"))
    field: Mapped[str] = mapped_column(String(16))
    position: Mapped[int]

    # Covers search's way from a segment to the versions holding it, without reading rows.
    __table_args__ = (
        Index(
            "ix_version_segment_segment_id_version_id_field", "segment_id", "version_id", "field"
        ),
    )


class Capture(Base):
    """One fetch attempt of a page, successful or not, with what it observed.

    Stored compactly (migration 0014): the time as integer microseconds, the chain digest as 32
    bytes, the outcome as one character (archive.columns); URLs and headers relative to the page's base capture where they
    repeat it (archive.captures); the ETag and Last-Modified not kept apart from the headers
    they come from (archive.columns.header reads them there). Every reader sees the values as
    fetched."""

    __tablename__ = "capture"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id"), index=True)
    captured_at: Mapped[datetime] = mapped_column(EpochMicros)
    # Whole, or the same as its page's base capture's (archive.captures).
    requested_url: Mapped[str] = mapped_column(PackedText("requested_url", 2048))
    final_url: Mapped[str] = mapped_column(PackedText("final_url", 2048))
    status: Mapped[int | None]
    # Packed with the site's dictionary of small JSON values (archive.packing), or a delta of
    # its page's base capture's headers (archive.captures).
    headers: Mapped[list[Any]] = mapped_column(PackedJSON("headers"))
    payload_sha256: Mapped[str | None] = mapped_column(ForeignKey("blob.sha256"))
    payload_size: Mapped[int | None]
    # One character (archive.columns.OUTCOMES), read as the outcome's word.
    outcome: Mapped[str] = mapped_column(OutcomeCode)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("version.id"))
    error: Mapped[str | None] = mapped_column(Text)
    # This capture's evidence chained to the capture before it (archive.fixity).
    chain_sha256: Mapped[str | None] = mapped_column(Digest)
    # A file's capture: the version of the article that referenced it when it was fetched, and
    # the media type its bytes are (sniffed from them, whatever Content-Type said).
    # (No foreign-key constraint: migration 0007 added the column in place.)
    referrer_version_id: Mapped[int | None]
    media_type: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (
        Index("ix_capture_page_id_captured_at", "page_id", "captured_at"),
        # Only files' captures have a referrer: the others (nearly all) are not indexed. A
        # look-up by `referrer_version_id = x` implies the condition, so both engines use it.
        Index(
            "ix_capture_referrer_version_id",
            "referrer_version_id",
            sqlite_where=text("referrer_version_id IS NOT NULL"),
            postgresql_where=text("referrer_version_id IS NOT NULL"),
        ),
    )


class SiteLease(Base):
    """Which worker may crawl a site now, and how the site's last crawl went (archive.leases).

    A lease is held until `expires_at`; its holder renews it while it crawls and releases it
    when the crawl ends. A holder that dies stops renewing, and once the lease has expired
    another worker may take the site. A free lease's `expires_at` is the earliest time it may
    be claimed again (later than its release after a crawl that asked to be retried later)."""

    __tablename__ = "site_lease"

    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    # host:pid:token of the worker holding it; None while it is free.
    holder: Mapped[str | None] = mapped_column(String(255))
    claimed_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    last_holder: Mapped[str | None] = mapped_column(String(255))
    last_started_at: Mapped[datetime | None]
    # When the last crawl that ran to an end (any exit code but interrupted or try-later) did.
    last_finished_at: Mapped[datetime | None]
    last_exit_code: Mapped[int | None]


__all__ = [
    "Base",
    "Blob",
    "Capture",
    "CompressionDictionary",
    "CrawlRun",
    "MirrorCopy",
    "Page",
    "PageEvent",
    "PageLink",
    "PageUrl",
    "SimilarityBand",
    "Site",
    "SiteLease",
    "TextSegment",
    "Version",
    "VersionChange",
    "VersionSegment",
]
