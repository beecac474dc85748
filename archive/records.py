"""What the crawler hands to the archive: an observed fetch and, for articles, the record read."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

# The record's content fields, in the documented order of the JSON record.
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
# body_html is a presentation of body/images/attachments: markup-only churn is not a new version.
HASHED_FIELDS = tuple(name for name in RECORD_FIELDS if name != "body_html")
# Fields added after archives existed stay out of the hash while empty, so a record that has
# nothing in them hashes as it did before they existed.
LATER_FIELDS = frozenset({"editor", "author"})


class PageKind(StrEnum):
    ARTICLE = "article"
    LIST = "list"


class Verdict(StrEnum):
    """What the crawler made of a response before the archive compares it with history."""

    CONTENT = "content"
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


# Verdicts whose observation carries an extracted record.
READ_VERDICTS = frozenset({Verdict.CONTENT, Verdict.MIRROR_COPY})


class Outcome(StrEnum):
    """A capture's outcome as recorded: a verdict, or for content whether it made a version.

    REPARSED is content that differs from the latest version only because the parser changed.
    """

    NEW = "new"
    CHANGED = "changed"
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


@dataclass(frozen=True)
class Attachment:
    url: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"url": self.url, "text": self.text}


@dataclass(frozen=True)
class Link:
    url: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"url": self.url, "text": self.text}


@dataclass(frozen=True)
class ArticleRecord:
    """The extracted content of one article page; published_at is timezone-aware."""

    title: str
    published_at: datetime | None
    source: str
    column: str
    body: str
    body_html: str
    images: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    links: tuple[Link, ...] = ()
    doc_id: str | None = None
    editor: str = ""
    author: str = ""

    def __post_init__(self) -> None:
        if self.published_at is not None and self.published_at.tzinfo is None:
            raise ValueError("published_at must be timezone-aware")

    def fields(self) -> dict[str, Any]:
        """The record as JSON-ready values, keyed by RECORD_FIELDS."""
        return {
            "title": self.title,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "source": self.source,
            "editor": self.editor,
            "author": self.author,
            "column": self.column,
            "body": self.body,
            "body_html": self.body_html,
            "images": list(self.images),
            "attachments": [a.to_json() for a in self.attachments],
            "links": [link.to_json() for link in self.links],
            "doc_id": self.doc_id,
        }


def content_sha256(fields: Mapping[str, Any]) -> str:
    """The SHA-256 of the canonical JSON of the hashed fields, NFC-normalised."""
    hashed = {
        name: _nfc(fields.get(name))
        for name in HASHED_FIELDS
        if name not in LATER_FIELDS or fields.get(name)
    }
    canonical = json.dumps(hashed, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The record fields whose values differ, in record order (None and "" are different)."""
    return [name for name in RECORD_FIELDS if _nfc(old.get(name)) != _nfc(new.get(name))]


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(item) for item in value]
    if isinstance(value, dict):
        return {key: _nfc(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Extracted:
    """An article record with where each field came from, the parser that read it, and the
    repairs its text needed (a damaged copy), by kind."""

    record: ArticleRecord
    provenance: Mapping[str, str]
    parser_version: str
    repairs: Mapping[str, int] = field(default_factory=dict)
    # The record's archive.similarity.Fingerprint if already computed (it must be of this record).
    fingerprint: Any = None


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
    verdict: Verdict
    status: int | None = None
    headers: Sequence[tuple[str, str]] = ()
    payload: bytes | None = None
    error: str | None = None
    extracted: Extracted | None = None
    doc_id: str | None = None
    moved_to: str | None = None

    def __post_init__(self) -> None:
        if self.fetched_at.tzinfo is None:
            raise ValueError("fetched_at must be timezone-aware")
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
