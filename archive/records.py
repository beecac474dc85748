"""The contract between crawler and archive: the article record, an observed fetch, its outcome."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from archive.text.segments import Prepared
from archive.text.similarity import Fingerprint


@dataclass(frozen=True)
class Link:
    """A link of the body: to a page, or to an attached file."""

    url: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"url": self.url, "text": self.text}


@dataclass(frozen=True, kw_only=True)
class ArticleRecord:
    """The extracted content of one article page: the one definition of the record's fields,
    declared in the documented order of the JSON record. published_at is timezone-aware."""

    title: str
    published_at: datetime | None
    # How precise the page's own date is: "day" (a date alone: published_at is that day's
    # midnight, which the page never said), "minute" or "second"; None when unknown.
    published_precision: str | None = None
    source: str
    editor: str = ""
    author: str = ""
    column: str
    body: str
    body_html: str
    images: tuple[str, ...] = ()
    attachments: tuple[Link, ...] = ()
    links: tuple[Link, ...] = ()
    doc_id: str | None = None

    def __post_init__(self) -> None:
        if self.published_at is not None and self.published_at.tzinfo is None:
            raise ValueError("published_at must be timezone-aware")
        if self.published_precision not in PRECISIONS:
            raise ValueError(f"published_precision must be one of {PRECISIONS}")

    def fields(self) -> dict[str, Any]:
        """The record as JSON-ready values, keyed by RECORD_FIELDS."""
        # The plain fields are text already (or None): only the others are converted (export
        # calls this for every record).
        found = {name: getattr(self, name) for name in RECORD_FIELDS}
        for name in _STRUCTURED_FIELDS:
            found[name] = _jsonable(found[name])
        return found

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> ArticleRecord:
        """The record whose JSON-ready values are `fields` (what fields() gave, as stored)."""
        published = fields["published_at"]
        return cls(
            **{name: fields[name] for name in _PLAIN_FIELDS},
            published_at=datetime.fromisoformat(published) if published else None,
            # Records written before the field existed have none.
            published_precision=fields.get("published_precision"),
            images=tuple(fields["images"]),
            attachments=tuple(Link(a["url"], a["text"]) for a in fields["attachments"]),
            links=tuple(Link(a["url"], a["text"]) for a in fields["links"]),
        )


# The record's content fields, in the documented order of the JSON record.
RECORD_FIELDS = tuple(f.name for f in dataclasses.fields(ArticleRecord))
_PLAIN_FIELDS = tuple(
    name
    for name in RECORD_FIELDS
    if name not in ("published_at", "published_precision", "images", "attachments", "links")
)
_STRUCTURED_FIELDS = ("published_at", "images", "attachments", "links")
PRECISIONS = (None, "day", "minute", "second")
# Fields that say how another field was read, not what the page says: never a change.
DERIVED_FIELDS = frozenset({"published_precision"})
# body_html is a presentation of body/images/attachments: markup-only churn is not a new version.
HASHED_FIELDS = tuple(
    name for name in RECORD_FIELDS if name != "body_html" and name not in DERIVED_FIELDS
)
# Fields added after archives existed stay out of the hash while empty, so a record that has
# nothing in them hashes as it did before they existed.
LATER_FIELDS = frozenset({"editor", "author"})


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Link):
        return value.to_json()
    if isinstance(value, tuple):
        return [_jsonable(item) for item in value]
    return value


def content_sha256(fields: Mapping[str, Any]) -> str:
    """The SHA-256 of the canonical JSON of the hashed fields, NFC-normalised."""
    hashed = {
        name: _nfc(fields.get(name))
        for name in HASHED_FIELDS
        if name not in LATER_FIELDS or fields.get(name)
    }
    canonical = json.dumps(hashed, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record_sha256(fields: Mapping[str, Any]) -> str:
    """The SHA-256 of every field of the record exactly as stored (body_html too): the fixity
    of a version, where content_sha256 is its identity for change detection."""
    stored = {
        name: fields.get(name)
        for name in RECORD_FIELDS
        # A derived field added later is left out while empty: older digests stay true.
        if name not in DERIVED_FIELDS or fields.get(name) is not None
    }
    canonical = json.dumps(stored, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The record fields whose values differ, in record order (None and "" are different)."""
    return [
        name
        for name in RECORD_FIELDS
        if name not in DERIVED_FIELDS and _nfc(old.get(name)) != _nfc(new.get(name))
    ]


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(item) for item in value]
    if isinstance(value, dict):
        return {key: _nfc(item) for key, item in value.items()}
    return value


class PageKind(StrEnum):
    ARTICLE = "article"
    LIST = "list"
    # An image of an article's body or a file it links, archived as captures of its own URL.
    FILE = "file"


class Outcome(StrEnum):
    """What a fetch came to. The crawler judges a response (every member but the four that
    versioning decides); the archive turns CONTENT into NEW, CHANGED, REPARSED or UNCHANGED by
    comparing it with the page's history, and records the rest as they are."""

    CONTENT = "content"
    # A file (image, attachment) received whole: the archive makes it NEW, CHANGED or UNCHANGED
    # by its bytes. Files have captures, never versions.
    FILE = "file"
    NEW = "new"
    CHANGED = "changed"
    # Differs from the latest version only because the parser changed.
    REPARSED = "reparsed"
    UNCHANGED = "unchanged"
    NOT_MODIFIED = "not-modified"
    NOT_FOUND = "not-found"
    SOFT_404 = "soft-404"
    BLOCKED = "blocked"
    TRUNCATED = "truncated"
    REDIRECTED = "redirected"
    MOVED = "moved"
    ERROR = "error"
    LISTING = "listing"
    REJECTED = "rejected"
    MIRROR_COPY = "mirror-copy"


# What versioning decides, never a crawler's verdict.
VERSION_OUTCOMES = frozenset({Outcome.NEW, Outcome.CHANGED, Outcome.REPARSED, Outcome.UNCHANGED})
# Verdicts whose observation carries an extracted record.
READ_VERDICTS = frozenset({Outcome.CONTENT, Outcome.MIRROR_COPY})


@dataclass(frozen=True)
class Extracted:
    """An article record with where each field came from, the parser that read it, and the
    repairs its text needed (a damaged copy), by kind."""

    record: ArticleRecord
    provenance: Mapping[str, str]
    parser_version: str
    repairs: Mapping[str, int] = field(default_factory=dict)
    # The record's fingerprint if already computed where the record was cleaned (it must be of
    # this record); the archive computes it otherwise.
    fingerprint: Fingerprint | None = None
    # The record's search segments, digests and index tokens (archive.text.segments.prepare), if
    # worked out where the record was cleaned; the archive works them out otherwise.
    segments: Prepared | None = None


@dataclass(frozen=True)
class Observation:
    """One fetch as the crawler saw it: the unit the archive records in one transaction.

    `url` is the page's canonical URL (its identity in the archive); `requested_url` and
    `final_url` are what went over the wire, which may be another origin (a replica, a mirror).
    `moved_to` is the canonical URL of another article of the site that a redirect led to.
    """

    site: str
    site_origin: str
    url: str
    kind: PageKind
    requested_url: str
    final_url: str
    fetched_at: datetime
    verdict: Outcome
    status: int | None = None
    headers: Sequence[tuple[str, str]] = ()
    payload: bytes | None = None
    error: str | None = None
    extracted: Extracted | None = None
    doc_id: str | None = None
    moved_to: str | None = None
    # A file's: the article page that references it (its canonical URL), and the media type
    # its bytes are (sniffed; the Content-Type header may say otherwise).
    referrer: str | None = None
    media_type: str | None = None

    def __post_init__(self) -> None:
        if self.fetched_at.tzinfo is None:
            raise ValueError("fetched_at must be timezone-aware")
        if self.verdict in VERSION_OUTCOMES:
            raise ValueError(f"{self.verdict} is for the archive to decide, not a verdict")
        if (self.verdict in READ_VERDICTS) != (self.extracted is not None):
            raise ValueError("an observation carries a record exactly when it is content or a copy")

    def header(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive), if present."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


@dataclass(frozen=True)
class Recorded:
    """What recording an observation did."""

    url: str
    outcome: Outcome
    version: int | None
    changed_fields: tuple[str, ...] = field(default=())
    # Pages found to carry the same article: (kind, canonical URL, similarity).
    duplicates: tuple[tuple[str, str, float], ...] = field(default=())
