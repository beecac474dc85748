"""Files an article references (its body's images, the files it links): which capture of each
holds the bytes a version of the article had, and an archived file's bytes at a time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import Connection, select

from archive import blobs
from archive.columns import header
from archive.database import Archive
from archive.errors import NotArchived
from archive.models import Capture, Page, PageUrl, Version
from archive.records import Outcome, PageKind

# The outcomes of a capture that holds a file's (or a page's) bytes.
HOLDING = frozenset(
    o.value for o in (Outcome.NEW, Outcome.CHANGED, Outcome.UNCHANGED, Outcome.REPARSED)
)


@dataclass(frozen=True)
class FileCapture:
    """A file a version references and what the archive has of it: the capture that holds the
    bytes the version had (`sha256` None when none does: refused, failed, off-site, never
    fetched), and the latest check of it while the version was current (a 404 since, say)."""

    url: str
    role: str  # image | attachment
    text: str  # an attachment's link text
    captured_at: datetime | None = None
    status: int | None = None
    outcome: str | None = None
    sha256: str | None = None
    size: int | None = None
    content_type: str | None = None  # as the server declared it
    media_type: str | None = None  # as its bytes are
    error: str | None = None
    checked_at: datetime | None = None
    checked_outcome: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "role": self.role,
            "text": self.text,
            "captured_at": _iso(self.captured_at),
            "status": self.status,
            "outcome": self.outcome,
            "sha256": self.sha256,
            "size": self.size,
            "content_type": self.content_type,
            "media_type": self.media_type,
            "error": self.error,
            "checked_at": _iso(self.checked_at),
            "checked_outcome": self.checked_outcome,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def referenced(version: Any) -> list[tuple[str, str, str]]:
    """(url, role, text) of every image and attachment the version's record names (a Version,
    or a row with its images and attachments)."""
    found = [(str(url), "image", "") for url in version.images]
    found += [(str(a["url"]), "attachment", str(a.get("text", ""))) for a in version.attachments]
    return found


def version_files(
    connection: Connection, versions: Sequence[Any]
) -> dict[int, tuple[FileCapture, ...]]:
    """Each version's files, in record order, each with its capture for the version (_chosen).
    `versions`: Versions, or rows with their id, number, created_at, images and attachments."""
    wanted = {url for version in versions for url, _, _ in referenced(version)}
    captures = _captures_by_url(connection, wanted)
    ordered = sorted(versions, key=lambda v: v.number)
    until = {v.id: n.created_at for v, n in pairwise(ordered)}
    return {
        version.id: tuple(
            _for_version(url, role, text, captures.get(url, []), version, until.get(version.id))
            for url, role, text in referenced(version)
        )
        for version in versions
    }


# What _for_version reads of a file's captures.
_FILE_CAPTURE = (
    Capture.id,
    Capture.captured_at,
    Capture.status,
    Capture.outcome,
    Capture.payload_sha256,
    Capture.payload_size,
    Capture.headers,
    Capture.media_type,
    Capture.error,
    Capture.referrer_version_id,
)


def _captures_by_url(connection: Connection, urls: set[str]) -> dict[str, list[Any]]:
    """Each URL's captures (rows of _FILE_CAPTURE), oldest first."""
    found: dict[str, list[Any]] = defaultdict(list)
    ordered = sorted(urls)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        rows = connection.execute(
            select(PageUrl.url, *_FILE_CAPTURE)
            .join(Capture, Capture.page_id == PageUrl.page_id)
            .where(PageUrl.url.in_(chunk))
            .order_by(Capture.captured_at, Capture.id)
        )
        for row in rows:
            found[row.url].append(row)
    return found


def _for_version(
    url: str,
    role: str,
    text: str,
    captures: list[Any],
    version: Any,
    until: datetime | None,
) -> FileCapture:
    held, checked = _chosen(captures, version.id, until)
    shown = held or checked
    if shown is None:
        return FileCapture(url, role, text)
    return FileCapture(
        url,
        role,
        text,
        captured_at=shown.captured_at,
        status=shown.status,
        outcome=shown.outcome,
        sha256=shown.payload_sha256 if held is not None else None,
        size=shown.payload_size if held is not None else None,
        content_type=header(shown.headers, "Content-Type"),
        media_type=shown.media_type,
        error=shown.error,
        checked_at=checked.captured_at if checked is not None else None,
        checked_outcome=checked.outcome if checked is not None else None,
    )


def _chosen(
    captures: list[Any], version_id: int, until: datetime | None
) -> tuple[Any | None, Any | None]:
    """From a file's captures (oldest first): the one holding the bytes a version had, and the
    latest check of the file while it was current. The bytes: the latest holding capture made
    for the version, else the latest made before the next version (a file confirmed by a 304,
    or shared with an article archived earlier). The check: the latest capture made for it,
    else the latest before the next version."""
    before = [c for c in captures if until is None or c.captured_at < until]
    own = [c for c in captures if c.referrer_version_id == version_id]
    held = [c for c in own if c.outcome in HOLDING] or [c for c in before if c.outcome in HOLDING]
    checked = own or before
    return (held[-1] if held else None), (checked[-1] if checked else None)


@dataclass(frozen=True)
class HeldBytes:
    """An archived file's (or page's) bytes as one capture received them."""

    url: str
    captured_at: datetime
    sha256: str
    content_type: str | None
    data: bytes


def held_bytes(archive: Archive, url: str, at: datetime | None = None) -> HeldBytes:
    """The bytes of the latest capture of `url` that holds them (at or before `at`)."""
    with archive.reading() as session:
        query = (
            select(Capture)
            .join(PageUrl, PageUrl.page_id == Capture.page_id)
            .where(
                PageUrl.url == url,
                Capture.payload_sha256.is_not(None),
                Capture.outcome.in_(HOLDING),
            )
        )
        if at is not None:
            query = query.where(Capture.captured_at <= at)
        capture = session.scalars(
            query.order_by(Capture.captured_at.desc(), Capture.id.desc()).limit(1)
        ).first()
        if capture is None:
            when = f" at {at.isoformat()}" if at is not None else ""
            raise NotArchived(f"No capture of {url} holds its bytes{when}.", url)
        return HeldBytes(
            url,
            capture.captured_at,
            str(capture.payload_sha256),
            header(capture.headers, "Content-Type"),
            blobs.read(session.connection(), str(capture.payload_sha256)),
        )


@dataclass(frozen=True)
class FileState:
    """What the archive last saw of a file: its validators, and how its last capture ended."""

    etag: str | None
    last_modified: str | None
    outcome: str
    error: str | None
    captured_at: datetime | None = None


def file_state(archive: Archive, url: str) -> FileState | None:
    """The file page at `url` as its latest capture left it; None if it was never recorded."""
    with archive.reading() as session:
        row = session.execute(
            select(
                Capture.outcome, Capture.error, Capture.captured_at, Page.etag, Page.last_modified
            )
            .join(Page, Page.id == Capture.page_id)
            .join(PageUrl, PageUrl.page_id == Page.id)
            .where(PageUrl.url == url)
            .order_by(Capture.captured_at.desc(), Capture.id.desc())
            .limit(1)
        ).first()
    if row is None:
        return None
    return FileState(row.etag, row.last_modified, row.outcome, row.error, row.captured_at)


def file_urls(archive: Archive) -> set[str]:
    """Every URL a file page of the archive has had: a URL not among them has no file state."""
    with archive.reading() as session:
        found = session.scalars(
            select(PageUrl.url)
            .join(Page, Page.id == PageUrl.page_id)
            .where(Page.kind == PageKind.FILE.value)
        )
        return set(found)


def latest_references(archive: Archive, url: str) -> list[tuple[str, str, str]]:
    """(url, role, text) of the files the latest version of the article at `url` names."""
    with archive.reading() as session:
        version = session.scalars(
            select(Version)
            .join(PageUrl, PageUrl.page_id == Version.page_id)
            .where(PageUrl.url == url)
            .order_by(Version.number.desc())
            .limit(1)
        ).first()
        return referenced(version) if version is not None else []
