"""An export as a WARC: the warcinfo record, then every selected capture's and event's records in
time order, read in one transaction; what was written, where the cursor now stands, and the
articles a page list names."""

from __future__ import annotations

import importlib.metadata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import BinaryIO

from sqlalchemy.orm import Session

from archive.database import Archive
from archive.formats.layout import Counts, Layout, warcinfo
from archive.formats.source import (
    CaptureItem,
    Item,
    RereadItem,
    Selection,
    archive_identity,
    first_run_at,
    items,
    newest,
    user_agents,
    version_texts,
)
from archive.formats.warc import Record, WarcWriter, Written
from archive.records import PageKind

WARC_SPEC = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
# The version of the metadata records' JSON (archive.formats.metadata).
METADATA_FORMAT = "newsarchive-metadata/1"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Cursor:
    """Where an export ended: the greatest capture id and lone event id it wrote (or the ones
    it started after), and the newest capture time, for people reading a state file."""

    capture_id: int = 0
    event_id: int = 0
    captured_at: datetime | None = None
    version_id: int = 0  # the greatest version no capture added (a reparse's)


@dataclass(frozen=True)
class PageEntry:
    """An article as a page list names it: the newest exported capture of it that replays
    (a 200, or a 304 confirming one), with the record current then."""

    url: str
    at: datetime
    title: str
    text: str


@dataclass
class Exported:
    """What an export wrote: its archive's identity, its date, what it held, the WARC records
    written (warcinfo included), where its cursor ended, and the page list if asked for."""

    identity: uuid.UUID
    date: datetime
    counts: Counts
    records: int
    cursor: Cursor
    pages: list[PageEntry] = field(default_factory=list)


def export_warc(
    archive: Archive,
    selection: Selection,
    out: BinaryIO | None,
    *,
    on_record: Callable[[Written], None] | None = None,
    with_pages: bool = False,
) -> Exported:
    """Write the selection's records to `out` (None: only count and index them), calling
    `on_record` with each one written; the page list too when `with_pages`."""
    with archive.reading() as session:
        identity = archive_identity(session)
        date = newest(session, selection) or selection.since or first_run_at(session) or _EPOCH
        opening = warcinfo(identity, _warcinfo_name(selection), date, _info(identity, selection))
        layout = Layout(identity, opening.record_id, user_agents(session))
        writer, pages = WarcWriter(out), _Pages()
        cursor = Cursor(
            selection.after_capture, selection.after_event, version_id=selection.after_version
        )
        _emit(writer, [opening], on_record)
        for item in items(session, selection):
            if isinstance(item, CaptureItem):
                _emit(writer, layout.capture_records(item), on_record)
                pages.see(item)
            elif isinstance(item, RereadItem):
                _emit(writer, [layout.reread_record(item)], on_record)
            else:
                _emit(writer, [layout.event_record(item)], on_record)
            cursor = _advanced(cursor, item)
        entries = pages.entries(session) if with_pages else []
        return Exported(identity, date, layout.counts, writer.count, cursor, entries)


def _emit(
    writer: WarcWriter, records: Sequence[Record], on_record: Callable[[Written], None] | None
) -> None:
    for record in records:
        written = writer.write(record)
        if on_record is not None:
            on_record(written)


def _advanced(cursor: Cursor, item: Item) -> Cursor:
    if isinstance(item, RereadItem):
        return replace(cursor, version_id=max(cursor.version_id, item.id))
    if isinstance(item, CaptureItem):
        at = (
            item.captured_at
            if cursor.captured_at is None
            else max(cursor.captured_at, item.captured_at)
        )
        return replace(cursor, capture_id=max(cursor.capture_id, item.id), captured_at=at)
    return replace(cursor, event_id=max(cursor.event_id, item.id))


def _warcinfo_name(selection: Selection) -> str:
    window = [selection.since, selection.until]
    bounds = "/".join(moment.isoformat() if moment else "-" for moment in window)
    return (
        f"warcinfo/{selection.site or '*'}/{bounds}/"
        f"{selection.after_capture}/{selection.after_event}"
    )


def _info(identity: uuid.UUID, selection: Selection) -> dict[str, str]:
    """The warcinfo fields: what wrote the file, to which format, from which archive, what it
    selects, and how its records read. Nothing that changes between two exports of the same
    selection (no export time, no file name), so they are byte-identical."""
    return {
        "software": f"newsarchive/{_version()}",
        "format": "WARC File Format 1.1",
        "conformsTo": WARC_SPEC,
        "isPartOf": f"urn:uuid:{identity}",
        "description": _description(selection),
        "newsarchive-metadata": f"{METADATA_FORMAT} (application/json metadata records)",
        "http-header-note": (
            "Content-Encoding, Transfer-Encoding and Content-Length that no longer describe the "
            "stored payload (decoded by the crawler) are kept as X-Archive-Orig-*"
        ),
    }


def _description(selection: Selection) -> str:
    parts = [f"captures of {selection.site or 'every site'}"]
    if selection.since is not None:
        parts.append(f"from {selection.since.astimezone(UTC).isoformat()}")
    if selection.until is not None:
        parts.append(f"before {selection.until.astimezone(UTC).isoformat()}")
    if selection.after_capture or selection.after_event:
        parts.append(f"after capture {selection.after_capture} and event {selection.after_event}")
    return "exported by newsarchive: " + " ".join(parts)


def _version() -> str:
    try:
        return importlib.metadata.version("newsarchive")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class _Pages:
    """The newest replayable capture of each article, by page."""

    def __init__(self) -> None:
        self.newest: dict[str, tuple[str, datetime, int]] = {}

    def see(self, capture: CaptureItem) -> None:
        if capture.page_kind != PageKind.ARTICLE.value or capture.version_id is None:
            return
        if capture.status == 200 or (capture.status == 304 and capture.confirms is not None):
            self.newest[capture.page] = (capture.final_url, capture.captured_at, capture.version_id)

    def entries(self, session: Session) -> list[PageEntry]:
        texts = version_texts(session, [version for _, _, version in self.newest.values()])
        found = [PageEntry(url, at, *texts[version]) for url, at, version in self.newest.values()]
        return sorted(found, key=lambda entry: (entry.at, entry.url))
