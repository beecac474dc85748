"""Reading the archive: histories, records at a version or a time, exports; frozen dataclasses."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, String, bindparam, func, select, type_coerce
from sqlalchemy.orm import Session

from archive import blobs
from archive.columns import header
from archive.database import Archive
from archive.errors import NotArchived, Untracked
from archive.files import FileCapture, version_files
from archive.lifecycle import Event, State
from archive.models import (
    Capture,
    Page,
    PageEvent,
    PageUrl,
    Site,
    Version,
    VersionChange,
)
from archive.packing import raw, unpack
from archive.records import RECORD_FIELDS, ArticleRecord, Outcome, PageKind
from archive.runs import drifted_runs

# The kinds of event the change report holds, in the order it documents them.
# "drift": a crawl whose profile rules stopped matching the site's pages (archive.runs).
EVENT_KINDS = ("new", "changed", "reparsed", *(event.value for event in Event), "drift")


@dataclass(frozen=True)
class VersionRecord:
    """The documented, stable JSON record of one version of an article: the page's URL, the
    record's fields, and the version's number, capture time and changed fields."""

    url: str
    record: ArticleRecord
    version: int
    captured_at: datetime
    changed_fields: tuple[str, ...]
    # The page's state now (live, unreachable, gone, untracked) and whether its column lists it.
    state: str = "live"
    listed: bool = True
    # Its images and attachments with the captures that hold them (show; not export).
    files: tuple[FileCapture, ...] | None = None
    # How each field was read (the profile's rule, or the generic reader's way), and the fields
    # the generic fallback read because the profile's rules found nothing.
    provenance: dict[str, str] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        return self.record.fields()

    def to_json(self) -> dict[str, Any]:
        shape = {
            "url": self.url,
            **self.record.fields(),
            "version": self.version,
            "captured_at": self.captured_at.isoformat(),
            "changed_fields": list(self.changed_fields),
            "state": self.state,
            "listed": self.listed,
            "fallback": fallback_fields(self.provenance),
            "provenance": {k: v for k, v in self.provenance.items() if k != "fallback"},
        }
        if self.files is not None:
            shape["files"] = [file.to_json() for file in self.files]
        return shape


@dataclass(frozen=True)
class FieldChange:
    """A field of a version that differs from its parent: its change class (None for
    body_html) and the characters added and removed, as diff counts them."""

    field: str
    change_class: str | None
    chars_added: int
    chars_removed: int

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "class": self.change_class,
            "chars_added": self.chars_added,
            "chars_removed": self.chars_removed,
        }


@dataclass(frozen=True)
class VersionSummary:
    number: int
    captured_at: datetime
    fields: tuple[FieldChange, ...]
    classes: tuple[str, ...]
    chars_added: int
    chars_removed: int
    content_sha256: str
    parser_version: str
    title: str
    files: tuple[FileCapture, ...] = ()
    # The fields the generic fallback read (the profile's rules found nothing for them).
    fallback: tuple[str, ...] = ()

    @property
    def changed_fields(self) -> tuple[str, ...]:
        return tuple(change.field for change in self.fields)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.number,
            "captured_at": self.captured_at.isoformat(),
            "title": self.title,
            "changed_fields": list(self.changed_fields),
            "fields": [change.to_json() for change in self.fields],
            "classes": list(self.classes),
            "chars_added": self.chars_added,
            "chars_removed": self.chars_removed,
            "content_sha256": self.content_sha256,
            "parser_version": self.parser_version,
            "fallback": list(self.fallback),
            "files": [file.to_json() for file in self.files],
        }


@dataclass(frozen=True)
class EventSummary:
    """A lifecycle transition of a page."""

    kind: str
    at: datetime
    detail: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "at": self.at.isoformat(), **self.detail}


@dataclass(frozen=True)
class ChangeEvent:
    """One line of the change report: an article new, changed, or changing state."""

    url: str
    kind: str
    at: datetime
    title: str = ""
    version: int | None = None
    classes: tuple[str, ...] = ()
    chars_added: int | None = None
    chars_removed: int | None = None
    fields: tuple[FieldChange, ...] = ()
    detail: tuple[tuple[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        shape: dict[str, Any] = {
            "url": self.url,
            "kind": self.kind,
            "at": self.at.isoformat(),
            "title": self.title,
        }
        if self.version is not None:
            shape["version"] = self.version
        if self.kind in ("changed", "reparsed"):
            shape.update(
                classes=list(self.classes),
                chars_added=self.chars_added,
                chars_removed=self.chars_removed,
                fields=[change.to_json() for change in self.fields],
            )
        shape.update(self.detail)
        return shape


@dataclass(frozen=True)
class CaptureSummary:
    captured_at: datetime
    requested_url: str
    final_url: str
    status: int | None
    outcome: str
    version: int | None
    payload_sha256: str | None
    payload_size: int | None
    etag: str | None
    last_modified: str | None
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "captured_at": self.captured_at.isoformat(),
            "requested_url": self.requested_url,
            "final_url": self.final_url,
            "status": self.status,
            "outcome": self.outcome,
            "version": self.version,
            "payload_sha256": self.payload_sha256,
            "payload_size": self.payload_size,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "error": self.error,
        }


@dataclass(frozen=True)
class PageHistory:
    url: str
    urls: tuple[str, ...]
    site: str
    kind: str
    doc_id: str | None
    state: str
    is_listed: bool
    last_listed_at: datetime | None
    first_seen_at: datetime
    last_captured_at: datetime
    last_outcome: str
    versions: tuple[VersionSummary, ...]
    captures: tuple[CaptureSummary, ...]
    events: tuple[EventSummary, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "urls": list(self.urls),
            "site": self.site,
            "kind": self.kind,
            "doc_id": self.doc_id,
            "state": self.state,
            "listed": self.is_listed,
            "last_listed_at": self.last_listed_at.isoformat() if self.last_listed_at else None,
            "first_seen_at": self.first_seen_at.isoformat(),
            "last_captured_at": self.last_captured_at.isoformat(),
            "last_outcome": self.last_outcome,
            "versions": [v.to_json() for v in self.versions],
            "events": [e.to_json() for e in self.events],
            "captures": [c.to_json() for c in self.captures],
        }


# The reads below are Core statements on one connection, built once: a history or a record
# is a handful of indexed lookups, and building statements and ORM objects would cost more
# than running them. Each selects only the columns it shows.
_PAGE = (
    Page.id,
    Page.url,
    Page.current_url,
    Page.kind,
    Page.doc_id,
    Page.state,
    Page.is_listed,
    Page.last_listed_at,
    Page.first_seen_at,
    Page.last_captured_at,
    Page.last_outcome,
    Site.name.label("site"),
)
_PAGE_AT_URL = (
    select(*_PAGE)
    .join(Site, Site.id == Page.site_id)
    .join(PageUrl, PageUrl.page_id == Page.id)
    .where(PageUrl.url == bindparam("url"))
)
# A version's summary in a history: not the record's texts.
_SUMMARY = (
    Version.id,
    Version.number,
    Version.created_at,
    Version.title,
    Version.classes,
    Version.chars_added,
    Version.chars_removed,
    Version.content_sha256,
    Version.parser_version,
    Version.provenance,
    Version.images,
    Version.attachments,
)
_HISTORY_VERSIONS = (
    select(*_SUMMARY).where(Version.page_id == bindparam("page")).order_by(Version.number)
)
_CHANGE = (
    VersionChange.version_id,
    VersionChange.field,
    VersionChange.change_class,
    VersionChange.chars_added,
    VersionChange.chars_removed,
)
_HISTORY_CHANGES = (
    select(*_CHANGE)
    .join(Version, Version.id == VersionChange.version_id)
    .where(Version.page_id == bindparam("page"))
)
_HISTORY_CAPTURES = (
    select(
        Capture.captured_at,
        Capture.requested_url,
        Capture.final_url,
        Capture.status,
        Capture.outcome,
        Capture.version_id,
        Capture.payload_sha256,
        Capture.payload_size,
        Capture.headers,
        Capture.error,
    )
    .where(Capture.page_id == bindparam("page"))
    .order_by(Capture.captured_at, Capture.id)
)
_HISTORY_EVENTS = (
    select(PageEvent.kind, PageEvent.at, PageEvent.detail)
    .where(PageEvent.page_id == bindparam("page"))
    .order_by(PageEvent.at, PageEvent.id)
)
_HISTORY_URLS = select(PageUrl.url).where(PageUrl.page_id == bindparam("page")).order_by(PageUrl.id)
# A version's whole record, and what else a VersionRecord says of it: the record's fields
# last (_record reads them by position).
_RECORD = (
    Version.id,
    Version.number,
    Version.created_at,
    Version.provenance,
    *(Version.__table__.c[name] for name in RECORD_FIELDS),
)


def page_history(archive: Archive, url: str) -> PageHistory:
    """Every version and capture of the page at `url`, oldest first."""
    with archive.engine.connect() as connection:
        page = _page_at(connection, url)
        key = {"page": page.id}
        versions = connection.execute(_HISTORY_VERSIONS, key).all()
        changes = _grouped_changes(connection.execute(_HISTORY_CHANGES, key))
        files = version_files(connection, versions)
        numbers = {v.id: v.number for v in versions}
        captures = connection.execute(_HISTORY_CAPTURES, key)
        history_captures = tuple(_capture_summary(c, numbers) for c in captures)
        events = connection.execute(_HISTORY_EVENTS, key)
        history_events = tuple(EventSummary(e.kind, e.at, dict(e.detail)) for e in events)
        urls = tuple(connection.scalars(_HISTORY_URLS, key))
    return PageHistory(
        url=page.current_url,
        urls=urls,
        site=page.site,
        kind=page.kind,
        doc_id=page.doc_id,
        state=page.state,
        is_listed=page.is_listed,
        last_listed_at=page.last_listed_at,
        first_seen_at=page.first_seen_at,
        last_captured_at=page.last_captured_at,
        last_outcome=page.last_outcome,
        versions=tuple(_version_summary(v, changes[v.id], files[v.id]) for v in versions),
        captures=history_captures,
        events=history_events,
    )


def _page_at(connection: Connection, url: str) -> Any:
    """The page archived at (or moved from) `url` (a row of _PAGE); NotArchived if none is."""
    page = connection.execute(_PAGE_AT_URL, {"url": url}).first()
    if page is None:
        raise NotArchived(f"{url} is not in the archive.", url)
    return page


def version_record(
    archive: Archive, url: str, *, number: int | None = None, at: datetime | None = None
) -> VersionRecord:
    """The record of version `number`, or the one current at time `at`, or the latest."""
    with archive.engine.connect() as connection:
        page = _page_at(connection, url)
        query = select(*_RECORD).where(Version.page_id == page.id)
        if number is not None:
            query = query.where(Version.number == number)
        if at is not None:
            query = query.where(Version.created_at <= at)
        version = connection.execute(query.order_by(Version.number.desc()).limit(1)).first()
        if version is None:
            raise NotArchived(_missing_version_sentence(page.url, number, at))
        changes = _changes_by_version(connection, [version.id])
        files = version_files(connection, [version])[version.id]
    changed = tuple(change.field for change in changes[version.id])
    return replace(_record(page, version, changed), files=files)


def iter_records(
    archive: Archive,
    *,
    all_versions: bool = False,
    site: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[VersionRecord]:
    """Article records, ordered by URL then version: every version captured in [since, until),
    or (by default) the latest of those per page."""
    query = _records_query(all_versions, site, since, until)
    with archive.engine.connect() as connection:
        for row in connection.execute(query.execution_options(yield_per=1000)):
            yield _record(row, row, _field_names(row.changed))


def iter_record_json(
    archive: Archive,
    *,
    all_versions: bool = False,
    site: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """What iter_records gives, each record as its to_json(), made from the row without the
    record objects between (export writes every version of an archive: no per-row validation,
    no dataclasses, no round trip of each link through one). The JSON columns are read as
    stored and decoded here: "[]" without a decoder, and a provenance (the same few for all
    of a site's pages) decoded once per distinct stored value."""
    query = _records_query(all_versions, site, since, until, _RAW_RECORD)
    with archive.engine.connect() as connection:
        provenances = _Provenances(connection.dialect)
        for row in connection.execute(query.execution_options(yield_per=1000)):
            yield _record_json(row, provenances)


# _RECORD with the JSON columns as stored: text on SQLite (decoded by _json_value), the value
# psycopg decoded on PostgreSQL; provenance as stored (text or a frame: archive.packing).
_RAW_RECORD = (
    *_RECORD[:3],
    raw(Version.provenance),
    *(
        type_coerce(column, String()).label(name)
        if name in ("images", "attachments", "links")
        else column
        for name, column in ((name, Version.__table__.c[name]) for name in RECORD_FIELDS)
    ),
)
_VALUES = slice(4 + len(_RECORD) - len(RECORD_FIELDS), None)  # after the page's and version's own
_EMPTY: tuple[Any, ...] = ()


def _json_value(stored: Any) -> Any:
    """A JSON column's value from what the driver gave (SQLite: its text)."""
    if not isinstance(stored, str):
        return stored
    return _EMPTY if stored == "[]" else json.loads(stored)


class _Provenances:
    """Provenances decoded once per distinct stored value (a site's pages share a few); the
    values handed out are copies, so none is shared."""

    def __init__(self, dialect: Any) -> None:
        self.dialect = dialect
        self.known: dict[Any, dict[str, str]] = {}

    def get(self, stored: Any) -> dict[str, str]:
        if stored is None:
            return {}
        key = bytes(stored) if isinstance(stored, memoryview) else stored
        found = self.known.get(key)
        if found is None:
            found = json.loads(unpack(key, self.dialect)) or {}
            if len(self.known) >= 4096:
                self.known.clear()
            self.known[key] = found
        return found


def _record_json(row: Any, provenances: _Provenances) -> dict[str, Any]:
    """VersionRecord.to_json() of the record _record makes of a records-query row, key for key
    and value for value (tests/test_cli.py compares them on every record of archives)."""
    shape: dict[str, Any] = {"url": row[0]}
    shape.update(zip(RECORD_FIELDS, row[_VALUES], strict=True))
    published = shape["published_at"]
    shape["published_at"] = datetime.fromisoformat(published).isoformat() if published else None
    shape["images"] = list(_json_value(shape["images"]))
    for name in ("attachments", "links"):
        shape[name] = [{"url": a["url"], "text": a["text"]} for a in _json_value(shape[name])]
    provenance = provenances.get(row.provenance)
    shape["version"] = row.number
    shape["captured_at"] = row.created_at.isoformat()
    shape["changed_fields"] = list(_field_names(row.changed))
    shape["state"] = row.state
    shape["listed"] = row.is_listed
    shape["fallback"] = fallback_fields(provenance)
    shape["provenance"] = {k: v for k, v in provenance.items() if k != "fallback"}
    return shape


def _field_names(joined: str | None) -> tuple[str, ...]:
    """The changed fields the records query joined with commas, in record order."""
    names = joined.split(",") if joined else []
    return tuple(sorted(names, key=lambda name: _FIELD_ORDER.get(name, 99)))


def archived(archive: Archive, url: str) -> bool:
    """Whether a page is archived at (or has moved from) `url`."""
    with archive.reading() as session:
        return session.scalar(select(PageUrl.id).where(PageUrl.url == url).limit(1)) is not None


@dataclass(frozen=True)
class TrackedPage:
    """An archived page as the revisit planner sees it: where to ask, with which validators,
    and the times its schedule runs from."""

    page_id: int
    url: str
    etag: str | None
    last_modified: str | None
    first_seen_at: datetime
    published_at: datetime | None
    last_changed_at: datetime | None
    last_captured_at: datetime
    # Its latest capture was refused by validation: no article to watch closely yet.
    rejected: bool = False


UNTRACKED = State.UNTRACKED.value
_TRACKED = (
    Page.id,
    Page.current_url,
    Page.etag,
    Page.last_modified,
    Page.first_seen_at,
    Page.published_at,
    Page.last_changed_at,
    Page.last_captured_at,
    (Page.last_outcome == Outcome.REJECTED.value).label("rejected"),
)


def _tracked(row: Any) -> TrackedPage:
    return TrackedPage(
        page_id=row.id,
        url=row.current_url,
        etag=row.etag,
        last_modified=row.last_modified,
        first_seen_at=row.first_seen_at,
        published_at=row.published_at,
        last_changed_at=row.last_changed_at,
        last_captured_at=row.last_captured_at,
        rejected=bool(row.rejected),
    )


def tracked_articles(
    archive: Archive, site: str, page_ids: Collection[int] | None = None
) -> list[TrackedPage]:
    """Every article page of `site` still tracked (those of `page_ids` only, if given), for the
    revisit planner."""
    query = (
        select(*_TRACKED)
        .join(Site, Site.id == Page.site_id)
        .where(Site.name == site, Page.kind == PageKind.ARTICLE.value, Page.state != UNTRACKED)
    )
    with archive.reading() as session:
        if page_ids is None:
            return [_tracked(row) for row in session.execute(query)]
        return [
            _tracked(row)
            for chunk in chunked(sorted(page_ids))
            for row in session.execute(query.where(Page.id.in_(chunk)))
        ]


T = TypeVar("T")


def chunked(values: Sequence[T], size: int = 5000) -> Iterator[Sequence[T]]:
    """`values` in runs of at most `size`: what one IN (…) list binds (SQLite takes 32,766)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def tracked_pages(archive: Archive, urls: Sequence[str]) -> list[TrackedPage]:
    """The archived pages at `urls` (each once, in order); NotArchived names the first missing,
    Untracked the first an archivist took out of the crawl."""
    query = (
        select(*_TRACKED, Page.state)
        .join(PageUrl, PageUrl.page_id == Page.id)
        .where(PageUrl.url == bindparam("url"))
    )
    pages: dict[int, TrackedPage] = {}
    with archive.reading() as session:
        for url in urls:
            row = session.execute(query, {"url": url}).first()
            if row is None:
                raise NotArchived(f"{url} is not in the archive.", url)
            if row.state == UNTRACKED:
                raise Untracked(f"{url} is untracked.", url)
            pages.setdefault(row.id, _tracked(row))
    return list(pages.values())


def untracked_urls(archive: Archive, site: str) -> set[str]:
    """Every URL (moved ones too) of the site's pages an archivist untracked: never fetched."""
    query = (
        select(PageUrl.url)
        .join(Page, Page.id == PageUrl.page_id)
        .join(Site, Site.id == Page.site_id)
        .where(Site.name == site, Page.state == UNTRACKED)
    )
    with archive.reading() as session:
        return set(session.scalars(query))


def rejections(archive: Archive, site: str) -> dict[str, str]:
    """The site's article pages whose latest capture validation refused, with the reason given:
    the next refusal for the same reason is no news."""
    # The page's latest capture (the one at its last_captured_at: a capture's time is stored
    # as integer microseconds, a page's as a time, so the two are not compared in SQL).
    latest = (
        select(Capture.id)
        .where(Capture.page_id == Page.id)
        .order_by(Capture.captured_at.desc(), Capture.id.desc())
        .limit(1)
        .correlate(Page)
        .scalar_subquery()
    )
    query = (
        select(Page.current_url, Capture.error)
        .join(Site, Site.id == Page.site_id)
        .join(Capture, Capture.page_id == Page.id)
        .where(Site.name == site, Page.last_outcome == Outcome.REJECTED.value)
        .where(Capture.id == latest)
    )
    with archive.reading() as session:
        return {url: error or "" for url, error in session.execute(query)}


def known_article_urls(archive: Archive, site: str) -> set[str]:
    """Every canonical URL (moved ones too) of the site's articles that a list walk need not
    fetch: those with a version, those validation refused (their schedule re-checks them), and
    those untracked."""
    has_version = select(Version.id).where(Version.page_id == Page.id).exists()
    query = (
        select(PageUrl.url)
        .join(Page, Page.id == PageUrl.page_id)
        .join(Site, Site.id == Page.site_id)
        .where(Site.name == site, Page.kind == PageKind.ARTICLE.value)
        .where(
            has_version | (Page.last_outcome == Outcome.REJECTED.value) | (Page.state == UNTRACKED)
        )
    )
    with archive.reading() as session:
        return set(session.scalars(query))


def change_report(
    archive: Archive,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    kinds: Collection[str] | None = None,
    classes: Collection[str] | None = None,
    site: str | None = None,
) -> list[ChangeEvent]:
    """What happened in [since, until): new and changed articles, and lifecycle transitions.

    `classes` keeps only changes with one of those classes; `kinds` keeps only those kinds.
    """
    with archive.engine.connect() as connection:
        found = _version_events(connection, since, until, site) + _lifecycle_events(
            connection, since, until, site
        )
    found += _drift_events(archive, since, until, site)
    if kinds:
        found = [e for e in found if e.kind in kinds]
    if classes:
        found = [e for e in found if set(e.classes) & set(classes)]
    return sorted(found, key=lambda e: (e.at, e.url, e.kind))


def _drift_events(
    archive: Archive, since: datetime | None, until: datetime | None, site: str | None
) -> list[ChangeEvent]:
    """A degraded run is a change of the site itself: its markup may have moved."""
    return [
        ChangeEvent(
            url=origin,
            kind="drift",
            at=run.finished_at or run.started_at,
            title=str(run.counts.get("drift", "")),
            detail=(("site", run.site), ("run", run.id)),
        )
        for run, origin in drifted_runs(archive, since, until, site)
    ]


def latest_content_sha256(archive: Archive, url: str) -> str | None:
    """The content digest of the latest version of the page at `url`, if it has one."""
    query = (
        select(Version.content_sha256)
        .join(PageUrl, PageUrl.page_id == Version.page_id)
        .where(PageUrl.url == url)
        .order_by(Version.number.desc())
        .limit(1)
    )
    with archive.reading() as session:
        return session.scalar(query)


def payload(archive: Archive, sha256: str) -> bytes:
    """The raw bytes of a stored payload."""
    with archive.reading() as session:
        try:
            return blobs.read(session.connection(), sha256)
        except blobs.MissingBlob:
            raise NotArchived(f"No payload with SHA-256 {sha256} is archived.") from None


def _records_query(
    all_versions: bool,
    site: str | None,
    since: datetime | None,
    until: datetime | None,
    columns: Sequence[Any] = _RECORD,
) -> Any:
    """Pages in URL order, each with its versions in the window (or the latest of those): a
    walk of the pages' URL index, the latest found per page through (page_id, number), so no
    sort of the wide rows is needed; each version's changed fields joined in by a subquery on
    version_change's index (no second round trip per batch)."""
    changed = (
        select(func.aggregate_strings(VersionChange.field, ","))
        .where(VersionChange.version_id == Version.id)
        .scalar_subquery()
        .label("changed")
    )
    query = _window(
        select(Page.current_url, Page.state, Page.is_listed, changed, *columns).join(
            Version, Version.page_id == Page.id
        ),
        Version.created_at,
        since,
        until,
    )
    if not all_versions:
        later = Version.__table__.alias("later")
        latest = _window(
            select(func.max(later.c.number)).where(later.c.page_id == Page.id),
            later.c.created_at,
            since,
            until,
        ).scalar_subquery()
        query = query.where(Version.number == latest)
    if site is not None:
        query = query.join(Site, Site.id == Page.site_id).where(Site.name == site)
    return query.order_by(Page.current_url, Version.number)


def _window(query: Any, column: Any, since: datetime | None, until: datetime | None) -> Any:
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    return query


def _in_site(query: Any, site: str | None) -> Any:
    if site is None:
        return query
    return query.join(Site, Site.id == Page.site_id).where(Site.name == site)


# A version as the change report lists it.
_EVENT_VERSION = (
    Version.id,
    Version.number,
    Version.created_at,
    Version.title,
    Version.classes,
    Version.chars_added,
    Version.chars_removed,
)


def _version_events(
    connection: Connection, since: datetime | None, until: datetime | None, site: str | None
) -> list[ChangeEvent]:
    query = select(Page.current_url, *_EVENT_VERSION).join(Page, Page.id == Version.page_id)
    query = _in_site(_window(query, Version.created_at, since, until), site)
    found = connection.execute(query).all()
    changes = _changes_by_version(connection, [row.id for row in found])
    return [_version_event(row.current_url, row, changes[row.id]) for row in found]


def _version_event(url: str, version: Any, fields: tuple[FieldChange, ...]) -> ChangeEvent:
    """`version`: a Version, or a row of _EVENT_VERSION."""
    if version.number == 1:
        return ChangeEvent(url, "new", version.created_at, version.title, version=1)
    kind = "reparsed" if version.classes == ["reparse"] else "changed"
    return ChangeEvent(
        url,
        kind,
        version.created_at,
        version.title,
        version=version.number,
        classes=tuple(version.classes),
        chars_added=version.chars_added,
        chars_removed=version.chars_removed,
        fields=fields,
    )


def _lifecycle_events(
    connection: Connection, since: datetime | None, until: datetime | None, site: str | None
) -> list[ChangeEvent]:
    query = select(
        Page.current_url, PageEvent.page_id, PageEvent.kind, PageEvent.at, PageEvent.detail
    ).join(Page, Page.id == PageEvent.page_id)
    query = _in_site(_window(query, PageEvent.at, since, until), site)
    found = connection.execute(query).all()
    titles = _latest_titles(connection, {event.page_id for event in found})
    return [
        ChangeEvent(
            event.current_url,
            event.kind,
            event.at,
            titles.get(event.page_id, ""),
            detail=tuple(sorted(event.detail.items())),
        )
        for event in found
    ]


def _latest_titles(connection: Connection, page_ids: Collection[int]) -> dict[int, str]:
    """The title of each page's latest version (pages without a version have none)."""
    if not page_ids:
        return {}
    later = Version.__table__.alias("later")
    latest = select(func.max(later.c.number)).where(later.c.page_id == Version.page_id)
    found: dict[int, str] = {}
    for chunk in _chunks(sorted(page_ids), 500):
        query = select(Version.page_id, Version.title).where(
            Version.page_id.in_(chunk), Version.number == latest.scalar_subquery()
        )
        found.update({row.page_id: row.title for row in connection.execute(query)})
    return found


def page_and_site(session: Session, url: str) -> tuple[Page, Site]:
    """The page archived at (or moved from) `url` and its site; NotArchived if there is none."""
    row = session.execute(
        select(Page, Site)
        .join(Site, Site.id == Page.site_id)
        .join(PageUrl, PageUrl.page_id == Page.id)
        .where(PageUrl.url == url)
    ).first()
    if row is None:
        raise NotArchived(f"{url} is not in the archive.", url)
    return row[0], row[1]


def _changes_by_version(
    connection: Connection, version_ids: Sequence[int]
) -> dict[int, tuple[FieldChange, ...]]:
    """Each version's changed fields, in record order."""
    rows: list[Any] = []
    for chunk in _chunks(version_ids, 500):
        rows += connection.execute(select(*_CHANGE).where(VersionChange.version_id.in_(chunk)))
    return _grouped_changes(rows)


_FIELD_ORDER = {name: index for index, name in enumerate(RECORD_FIELDS)}


def _grouped_changes(rows: Iterable[Any]) -> dict[int, tuple[FieldChange, ...]]:
    """Rows of _CHANGE by version, each version's in record order (empty for one without)."""
    found: dict[int, list[FieldChange]] = defaultdict(list)
    for row in rows:
        change = FieldChange(row.field, row.change_class, row.chars_added, row.chars_removed)
        found[row.version_id].append(change)
    return defaultdict(
        tuple,
        {
            key: tuple(sorted(changes, key=lambda c: _FIELD_ORDER.get(c.field, 99)))
            for key, changes in found.items()
        },
    )


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _record(page: Any, version: Any, changed: tuple[str, ...]) -> VersionRecord:
    """The record of `version` (a row ending with _RECORD's columns, so with the record's
    fields in RECORD_FIELDS order) on `page` (its current_url, state, is_listed)."""
    fields = dict(zip(RECORD_FIELDS, version[-len(RECORD_FIELDS) :], strict=True))
    return VersionRecord(
        url=page.current_url,
        record=ArticleRecord.from_fields(fields),
        version=version.number,
        captured_at=version.created_at,
        changed_fields=changed,
        state=page.state,
        listed=page.is_listed,
        provenance=dict(version.provenance or {}),
    )


def fallback_fields(provenance: Mapping[str, str]) -> list[str]:
    """The fields a version's provenance says the generic fallback read."""
    return [name for name in provenance.get("fallback", "").split(",") if name]


def _version_summary(
    version: Any, changed: tuple[FieldChange, ...], files: tuple[FileCapture, ...] = ()
) -> VersionSummary:
    return VersionSummary(
        files=files,
        number=version.number,
        captured_at=version.created_at,
        fields=changed,
        title=version.title,
        classes=tuple(version.classes),
        chars_added=version.chars_added,
        chars_removed=version.chars_removed,
        content_sha256=version.content_sha256,
        parser_version=version.parser_version,
        fallback=tuple(fallback_fields(version.provenance or {})),
    )


def _capture_summary(capture: Any, version_numbers: dict[int, int]) -> CaptureSummary:
    return CaptureSummary(
        captured_at=capture.captured_at,
        requested_url=capture.requested_url,
        final_url=capture.final_url,
        status=capture.status,
        outcome=capture.outcome,
        version=version_numbers.get(capture.version_id) if capture.version_id else None,
        payload_sha256=capture.payload_sha256,
        payload_size=capture.payload_size,
        etag=header(capture.headers, "ETag"),
        last_modified=header(capture.headers, "Last-Modified"),
        error=capture.error,
    )


def _missing_version_sentence(url: str, number: int | None, at: datetime | None) -> str:
    if number is not None:
        return f"{url} has no version {number} in the archive."
    if at is not None:
        return f"{url} had not been archived yet at {at.isoformat()}."
    return f"{url} has no archived version."


def last_captured(archive: Archive, url: str) -> datetime | None:
    """When the page archived at (or moved from) `url` was last captured; None if it is not."""
    with archive.reading() as session:
        found = session.scalar(
            select(Page.last_captured_at)
            .join(PageUrl, PageUrl.page_id == Page.id)
            .where(PageUrl.url == url)
        )
    return found


def holds_capture(
    archive: Archive, url: str, at: datetime, status: int | None, payload_sha256: str | None
) -> bool:
    """Whether the page at `url` has a capture at `at` with this status and payload (an import
    of what the archive already holds)."""
    query = (
        select(Capture.id)
        .join(PageUrl, PageUrl.page_id == Capture.page_id)
        .where(
            PageUrl.url == url,
            Capture.captured_at == at,
            Capture.status.is_(None) if status is None else Capture.status == status,
            Capture.payload_sha256.is_(None)
            if payload_sha256 is None
            else Capture.payload_sha256 == payload_sha256,
        )
        .limit(1)
    )
    with archive.reading() as session:
        return session.scalar(query) is not None
