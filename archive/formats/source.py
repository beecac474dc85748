"""What an export reads: captures in a window or after a cursor, in time order, each with its
payload, the version it added and its lifecycle events; the events no capture caused; and the
archive's identity. Frozen dataclasses, read in one transaction (one consistent snapshot)."""

from __future__ import annotations

import heapq
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Select, Table, func, select
from sqlalchemy.orm import Session

from archive import blobs
from archive.errors import ArchiveError
from archive.models import Blob, Capture, CrawlRun, Page, PageEvent, Site, Version, VersionChange
from archive.records import RECORD_FIELDS, Outcome

CAPTURE, PAGE, SITE = (cast(Table, m.__table__) for m in (Capture, Page, Site))
VERSION, CHANGE = cast(Table, Version.__table__), cast(Table, VersionChange.__table__)
EVENT, BLOB, RUN = (cast(Table, m.__table__) for m in (PageEvent, Blob, CrawlRun))
# The outcomes of a capture that added a version to its page.
ADDED_VERSION = frozenset({Outcome.NEW.value, Outcome.CHANGED.value, Outcome.REPARSED.value})
_CHUNK = 500
_PAYLOAD_BYTES = 64 << 20


@dataclass(frozen=True)
class Selection:
    """Which captures and events an export holds: a site, a time window, and the cursor a
    state file keeps (those with a greater id than the last exported)."""

    site: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after_capture: int = 0
    after_event: int = 0
    after_version: int = 0


@dataclass(frozen=True)
class VersionItem:
    """A version as its metadata record tells it."""

    id: int
    number: int
    created_at: datetime
    classes: tuple[str, ...]
    changes: tuple[dict[str, Any], ...]
    chars_added: int
    chars_removed: int
    parser_version: str
    content_sha256: str
    record_sha256: str | None
    provenance: dict[str, Any]
    repairs: dict[str, Any]
    fields: dict[str, Any]


@dataclass(frozen=True)
class EventItem:
    """A lifecycle event of a page (unreachable, gone, moved, unlisted …)."""

    id: int
    page: str
    kind: str
    at: datetime
    capture_id: int | None
    run_id: int | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class Referent:
    """The earlier capture a 304 confirms: its page's latest 200 with a payload before it."""

    capture_id: int
    url: str
    captured_at: datetime


@dataclass(frozen=True)
class CaptureItem:
    """A capture and everything its records need. `page` is the page's identity (the first
    canonical URL it was archived under); `version_number` the version current after it."""

    id: int
    page: str
    page_kind: str
    site: str
    referrer: str | None  # a file's: the article whose version named it when it was fetched
    run_id: int | None
    captured_at: datetime
    requested_url: str
    final_url: str
    status: int | None
    headers: tuple[tuple[str, str], ...]
    payload_sha256: str | None
    payload_size: int | None
    outcome: str
    version_id: int | None
    version_number: int | None
    error: str | None
    chain_sha256: str | None
    payload: bytes | None
    added: VersionItem | None
    events: tuple[EventItem, ...]
    confirms: Referent | None


@dataclass(frozen=True)
class RereadItem:
    """A version no capture added: a stored answer read again (newsarchive reparse), which
    fetched nothing. `capture_id` is the capture whose bytes it read."""

    page: str
    site: str
    capture_id: int | None
    version: VersionItem

    @property
    def id(self) -> int:
        return self.version.id

    @property
    def at(self) -> datetime:
        return self.version.created_at


Item = CaptureItem | EventItem | RereadItem


def archive_identity(session: Session) -> uuid.UUID:
    """The archive's identity: a UUID derived from its first run (start, process, host), which
    no later write changes; a copy of the archive has the same identity."""
    first = session.execute(
        select(RUN.c.started_at, RUN.c.command, RUN.c.arguments).order_by(RUN.c.id).limit(1)
    ).first()
    if first is None:
        return uuid.uuid5(uuid.NAMESPACE_URL, "newsarchive:empty-archive")
    process = (first.arguments or {}).get("process", {})
    started = _utc(first.started_at).isoformat()
    name = f"newsarchive:{started}:{first.command}:{process.get('pid')}@{process.get('host')}"
    return uuid.uuid5(uuid.NAMESPACE_URL, name)


def user_agents(session: Session) -> dict[int, str]:
    """The User-Agent of each run that recorded one in its arguments (as `user_agent`, or as the
    USER_AGENT of its `settings`); runs that did not are absent."""
    found = {}
    for run_id, arguments in session.execute(select(RUN.c.id, RUN.c.arguments)):
        settings = (arguments or {}).get("settings") or {}
        agent = (arguments or {}).get("user_agent") or settings.get("USER_AGENT")
        if agent:
            found[run_id] = str(agent)
    return found


def items(session: Session, selection: Selection) -> Iterator[Item]:
    """Every selected capture and every selected event no capture caused, in time order: a
    capture by (captured_at, id), followed by its own events; a lone event after the captures
    of its instant."""
    lone: Iterator[Item] = iter(_lone_events(session, selection))
    captures: Iterator[Item] = _captures(session, selection)
    rereadings: Iterator[Item] = iter(_rereadings(session, selection))
    yield from heapq.merge(captures, lone, rereadings, key=_order)


def _order(item: Item) -> tuple[datetime, int, int]:
    if isinstance(item, CaptureItem):
        return (item.captured_at, 0, item.id)
    if isinstance(item, RereadItem):
        return (item.at, 2, item.id)
    return (item.at, 1, item.id)


def newest(session: Session, selection: Selection) -> datetime | None:
    """The time of the newest selected capture or lone event, if any is selected."""
    times = []
    for query, column in (
        (_capture_query(selection), CAPTURE.c.captured_at),
        (_lone_event_query(selection), EVENT.c.at),
    ):
        moment = session.scalar(query.with_only_columns(func.max(column)).order_by(None))
        if moment is not None:
            times.append(_utc(moment))
    return max(times, default=None)


def first_run_at(session: Session) -> datetime | None:
    moment = session.scalar(select(RUN.c.started_at).order_by(RUN.c.id).limit(1))
    return _utc(moment) if moment is not None else None


def version_texts(session: Session, version_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """The title and body of each version."""
    found: dict[int, tuple[str, str]] = {}
    for chunk in _chunks(sorted(set(version_ids))):
        query = select(VERSION.c.id, VERSION.c.title, VERSION.c.body).where(VERSION.c.id.in_(chunk))
        found.update({row.id: (row.title, row.body) for row in session.execute(query)})
    return found


def _captures(session: Session, selection: Selection) -> Iterator[CaptureItem]:
    query = _capture_query(selection).execution_options(yield_per=_CHUNK)
    for chunk in session.execute(query).partitions():
        for group in _by_payload_size(chunk):
            yield from _chunk_items(session, group)


def _by_payload_size(rows: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """Consecutive rows whose payloads add up to at most _PAYLOAD_BYTES (a single larger one
    alone): what is held in memory at once, whatever the files an archive keeps weigh."""
    start, total = 0, 0
    for index, row in enumerate(rows):
        size = row.payload_size or 0
        if index > start and total + size > _PAYLOAD_BYTES:
            yield rows[start:index]
            start, total = index, 0
        total += size
    if start < len(rows):
        yield rows[start:]


def _capture_query(selection: Selection) -> Select[Any]:
    site = select(SITE.c.name).where(SITE.c.id == PAGE.c.site_id).scalar_subquery()
    referrer_page = PAGE.alias("referrer_page")
    referrer = (
        select(referrer_page.c.url)
        .join(VERSION, VERSION.c.page_id == referrer_page.c.id)
        .where(VERSION.c.id == CAPTURE.c.referrer_version_id)
        .scalar_subquery()
    )
    query = (
        select(
            CAPTURE,
            PAGE.c.url.label("page_url"),
            PAGE.c.kind.label("page_kind"),
            site.label("site_name"),
            referrer.label("referrer_url"),
        )
        .join(PAGE, PAGE.c.id == CAPTURE.c.page_id)
        .where(CAPTURE.c.id > selection.after_capture)
    )
    query = _in_site(_window(query, CAPTURE.c.captured_at, selection), selection.site)
    return query.order_by(CAPTURE.c.captured_at, CAPTURE.c.id)


def _lone_events(session: Session, selection: Selection) -> list[EventItem]:
    query = _lone_event_query(selection).order_by(EVENT.c.at, EVENT.c.id)
    return [_event(row) for row in session.execute(query)]


def _lone_event_query(selection: Selection) -> Select[Any]:
    query = (
        select(EVENT, PAGE.c.url.label("page_url"))
        .join(PAGE, PAGE.c.id == EVENT.c.page_id)
        .where(EVENT.c.capture_id.is_(None), EVENT.c.id > selection.after_event)
    )
    return _in_site(_window(query, EVENT.c.at, selection), selection.site)


def _rereadings(session: Session, selection: Selection) -> list[RereadItem]:
    """The selected versions no capture added, in time order."""
    # Uncorrelated, so the database builds the set once (capture.version_id has no index).
    added = select(CAPTURE.c.version_id).where(
        CAPTURE.c.version_id.is_not(None), CAPTURE.c.outcome.in_(sorted(ADDED_VERSION))
    )
    query = (
        select(VERSION.c.id, VERSION.c.provenance, PAGE.c.url.label("page_url"), SITE.c.name)
        .join(PAGE, PAGE.c.id == VERSION.c.page_id)
        .join(SITE, SITE.c.id == PAGE.c.site_id)
        .where(VERSION.c.id.not_in(added), VERSION.c.id > selection.after_version)
    )
    if selection.site is not None:
        query = query.where(SITE.c.name == selection.site)
    rows = session.execute(_window(query, VERSION.c.created_at, selection)).all()
    versions = _versions(session, [row.id for row in rows])
    found = [
        RereadItem(row.page_url, row.name, _reread_capture(row.provenance), versions[row.id])
        for row in rows
    ]
    return sorted(found, key=lambda item: (item.at, item.id))


def _reread_capture(provenance: Any) -> int | None:
    value = (provenance or {}).get("reread_capture")
    return int(value) if value else None


def _window(query: Select[Any], column: Any, selection: Selection) -> Select[Any]:
    if selection.since is not None:
        query = query.where(column >= selection.since)
    if selection.until is not None:
        query = query.where(column < selection.until)
    return query


def _in_site(query: Select[Any], site: str | None) -> Select[Any]:
    if site is None:
        return query
    return query.join(SITE, SITE.c.id == PAGE.c.site_id).where(SITE.c.name == site)


def _chunk_items(session: Session, rows: Sequence[Any]) -> Iterator[CaptureItem]:
    """The captures with what they need, each kind of row read once for all of them."""
    payloads = _payloads(session, {row.payload_sha256 for row in rows if row.payload_sha256})
    added_ids = [row.version_id for row in rows if _added_version(row)]
    numbers = _version_numbers(session, {row.version_id for row in rows if row.version_id})
    added = _versions(session, added_ids)
    events = _capture_events(session, [row.id for row in rows])
    referents = _referents(session, [row for row in rows if row.status == 304])
    for row in rows:
        yield CaptureItem(
            id=row.id,
            page=row.page_url,
            page_kind=row.page_kind,
            site=row.site_name,
            referrer=row.referrer_url,
            run_id=row.run_id,
            captured_at=_utc(row.captured_at),
            requested_url=row.requested_url,
            final_url=row.final_url,
            status=row.status,
            headers=tuple((str(name), str(value)) for name, value in row.headers or ()),
            payload_sha256=row.payload_sha256,
            payload_size=row.payload_size,
            outcome=row.outcome,
            version_id=row.version_id,
            version_number=numbers.get(row.version_id) if row.version_id else None,
            error=row.error,
            chain_sha256=row.chain_sha256,
            payload=payloads.get(row.payload_sha256) if row.payload_sha256 else None,
            added=added.get(row.version_id) if _added_version(row) else None,
            events=tuple(events.get(row.id, ())),
            confirms=referents.get(row.id),
        )


def _added_version(row: Any) -> bool:
    return row.version_id is not None and row.outcome in ADDED_VERSION


def _payloads(session: Session, digests: set[str]) -> dict[str, bytes]:
    """The stored bytes of each payload, checked against its address: an export never vouches
    for bytes whose SHA-256 no longer matches (the archive's fixity check names them)."""
    found = {}
    reader = blobs.Reader(session.connection())
    columns = ("sha256", "compression", "data", "dictionary_id", "base_sha256")
    for chunk in _chunks(sorted(digests)):
        query = select(*(BLOB.c[name] for name in columns)).where(BLOB.c.sha256.in_(chunk))
        for row in session.execute(query):
            sha256, payload = row.sha256, _decoded(reader, row)
            if payload is None or blobs.sha256_hex(payload) != sha256:
                raise ArchiveError(
                    f"The payload stored as {sha256} no longer has that SHA-256: the archive "
                    "fails its fixity check, and nothing was exported."
                )
            found[sha256] = payload
    missing = digests - found.keys()
    if missing:
        raise ArchiveError(f"The payload {min(missing)} of a capture is missing from the archive.")
    return found


def _decoded(reader: blobs.Reader, row: Any) -> bytes | None:
    """A blob's bytes, or None when its stored form no longer decodes (damaged)."""
    try:
        return reader.decode(row)
    except Exception:
        return None


def _version_numbers(session: Session, ids: set[int]) -> dict[int, int]:
    found = {}
    for chunk in _chunks(sorted(ids)):
        query = select(VERSION.c.id, VERSION.c.number).where(VERSION.c.id.in_(chunk))
        found.update({row.id: row.number for row in session.execute(query)})
    return found


def _versions(session: Session, ids: Sequence[int]) -> dict[int, VersionItem]:
    if not ids:
        return {}
    changes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    order = {name: index for index, name in enumerate(RECORD_FIELDS)}
    for row in session.execute(select(CHANGE).where(CHANGE.c.version_id.in_(ids))):
        changes[row.version_id].append(
            {
                "field": row.field,
                "class": row.change_class,
                "chars_added": row.chars_added,
                "chars_removed": row.chars_removed,
            }
        )
    rows = session.execute(select(VERSION).where(VERSION.c.id.in_(ids)))
    return {
        row.id: _version(row, sorted(changes[row.id], key=lambda c: order.get(c["field"], 99)))
        for row in rows
    }


def _version(row: Any, changes: list[dict[str, Any]]) -> VersionItem:
    return VersionItem(
        id=row.id,
        number=row.number,
        created_at=_utc(row.created_at),
        classes=tuple(row.classes or ()),
        changes=tuple(changes),
        chars_added=row.chars_added,
        chars_removed=row.chars_removed,
        parser_version=row.parser_version,
        content_sha256=row.content_sha256,
        record_sha256=row.record_sha256,
        provenance=dict(row.provenance or {}),
        repairs=dict(row.repairs or {}),
        fields={name: getattr(row, name) for name in RECORD_FIELDS},
    )


def _capture_events(session: Session, capture_ids: Sequence[int]) -> dict[int, list[EventItem]]:
    found: dict[int, list[EventItem]] = defaultdict(list)
    query = (
        select(EVENT, PAGE.c.url.label("page_url"))
        .join(PAGE, PAGE.c.id == EVENT.c.page_id)
        .where(EVENT.c.capture_id.in_(capture_ids))
        .order_by(EVENT.c.id)
    )
    for row in session.execute(query):
        found[row.capture_id].append(_event(row))
    return found


def _event(row: Any) -> EventItem:
    return EventItem(
        id=row.id,
        page=row.page_url,
        kind=row.kind,
        at=_utc(row.at),
        capture_id=row.capture_id,
        run_id=row.run_id,
        detail=dict(row.detail or {}),
    )


def _referents(session: Session, not_modified: Sequence[Any]) -> dict[int, Referent]:
    """For each 304, its page's latest capture before it that was a 200 with a payload: what
    the conditional request's validators came from. Read from the whole archive, so a 304
    whose original was exported earlier (another file) still names it."""
    if not not_modified:
        return {}
    originals: dict[int, list[Any]] = defaultdict(list)
    query = select(CAPTURE.c.id, CAPTURE.c.page_id, CAPTURE.c.captured_at, CAPTURE.c.final_url)
    query = query.where(
        CAPTURE.c.page_id.in_(sorted({row.page_id for row in not_modified})),
        CAPTURE.c.status == 200,
        CAPTURE.c.payload_sha256.is_not(None),
    )
    for row in session.execute(query):
        originals[row.page_id].append(row)
    found = {}
    for capture in not_modified:
        before = [
            row
            for row in originals[capture.page_id]
            if (row.captured_at, row.id) < (capture.captured_at, capture.id)
        ]
        if before:
            latest = max(before, key=lambda row: (row.captured_at, row.id))
            found[capture.id] = Referent(latest.id, latest.final_url, _utc(latest.captured_at))
    return found


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _utc(moment: datetime) -> datetime:
    """Times read through Core come back as the column type makes them: aware UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
