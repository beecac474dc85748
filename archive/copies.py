"""Copies of an article: mirror sites' damaged copies kept against the original, and other pages
found to carry the same article (archive.dedup links them as versions are written)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.orm import Session

from archive.database import Archive
from archive.dedup import LATEST_BODY
from archive.models import MirrorCopy, Page, PageLink, Version
from archive.query import page_and_site
from archive.records import Observation
from archive.text import similarity

MIRROR = cast(Table, MirrorCopy.__table__)
MIRROR_KIND = "mirror"


@dataclass(frozen=True)
class CopySummary:
    """Another place the article lives: a mirror copy, or another page of the same article."""

    kind: str
    url: str
    found_at: datetime
    similarity: float
    repairs: dict[str, Any]
    title: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "url": self.url,
            "captured_at": self.found_at.isoformat(),
            "similarity": self.similarity,
            "repairs": self.repairs,
            "title": self.title,
            "text": self.text,
        }


def keep_mirror_copy(
    connection: Connection, page_id: int, capture_id: int, observation: Observation
) -> None:
    """A copy of the page's article on another site, captured as `capture_id`: what it needed
    repairing, and how close its text comes to the archived original's. Never a version."""
    assert observation.extracted is not None
    copy = observation.extracted.record
    original = connection.execute(LATEST_BODY, {"page_id": page_id}).first()
    copy_grams = similarity.shingles(copy.body)
    score = similarity.jaccard(copy_grams, similarity.shingles(original.body)) if original else 0.0
    values = {
        "page_id": page_id,
        "capture_id": capture_id,
        "url": observation.requested_url,
        "captured_at": observation.fetched_at,
        "similarity": round(score, 4),
        "repairs": dict(observation.extracted.repairs),
        "title": copy.title,
        "body": copy.body,
    }
    connection.execute(insert(MIRROR), values)


def copies(archive: Archive, url: str) -> list[CopySummary]:
    """The known copies of the article at `url`: mirror copies (with their repairs and repaired
    text), then other pages found to carry the same article, exactly or lightly re-edited."""
    with archive.reading() as session:
        page, _ = page_and_site(session, url)
        mirrors = session.scalars(
            select(MirrorCopy).where(MirrorCopy.page_id == page.id).order_by(MirrorCopy.captured_at)
        ).all()
        found = [
            CopySummary(
                MIRROR_KIND, m.url, m.captured_at, m.similarity, dict(m.repairs), m.title, m.body
            )
            for m in mirrors
        ]
        return found + _linked_pages(session, page.id)


def _linked_pages(session: Session, page_id: int) -> list[CopySummary]:
    links = session.scalars(
        select(PageLink)
        .where((PageLink.page_id == page_id) | (PageLink.other_page_id == page_id))
        .order_by(PageLink.found_at, PageLink.id)
    ).all()
    found = []
    for link in links:
        other = link.other_page_id if link.page_id == page_id else link.page_id
        other_url = session.scalar(select(Page.current_url).where(Page.id == other))
        latest = session.scalars(
            select(Version).where(Version.page_id == other).order_by(Version.number.desc()).limit(1)
        ).first()
        title, text = (latest.title, latest.body) if latest else ("", "")
        found.append(
            CopySummary(link.kind, other_url or "", link.found_at, link.similarity, {}, title, text)
        )
    return found
