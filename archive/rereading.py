"""Stored captures to read again: for each article page, the latest answer whose bytes it holds."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from archive import blobs
from archive.database import Archive
from archive.models import Blob, Capture, Page, Site
from archive.records import Outcome, PageKind


@dataclass(frozen=True)
class StoredAnswer:
    """The latest 200 answer of an article page that the archive holds the bytes of."""

    page_url: str
    site: str
    site_origin: str
    capture_id: int
    captured_at: datetime
    content_type: str | None
    payload: bytes


def stored_answers(
    archive: Archive,
    *,
    site: str | None = None,
    since: datetime | None = None,
    urls: Collection[str] = (),
) -> Iterator[StoredAnswer]:
    """Each article page's latest stored 200 answer (of `site`; captured at or after `since`;
    of the pages `urls` name), in page order. Pages are read one at a time: a large archive is
    never held in memory."""
    for page_id in _page_ids(archive, site, since, urls):
        found = _latest_answer(archive, page_id)
        if found is not None and (since is None or found.captured_at >= since):
            yield found


def _page_ids(
    archive: Archive, site: str | None, since: datetime | None, urls: Collection[str]
) -> list[int]:
    query = (
        select(Page.id)
        .join(Site, Site.id == Page.site_id)
        .where(Page.kind == PageKind.ARTICLE.value)
        .order_by(Page.id)
    )
    if site is not None:
        query = query.where(Site.name == site)
    if urls:
        query = query.where(Page.url.in_(list(urls)) | Page.current_url.in_(list(urls)))
    if since is not None:
        query = query.where(Page.last_captured_at >= since)
    with archive.reading() as session:
        return list(session.scalars(query))


def _latest_answer(archive: Archive, page_id: int) -> StoredAnswer | None:
    latest = (
        select(func.max(Capture.id))
        .where(
            Capture.page_id == page_id,
            Capture.status == 200,
            Capture.payload_sha256.is_not(None),
            # A mirror's copy is recorded on its original's page, in another site's template.
            Capture.outcome != Outcome.MIRROR_COPY.value,
        )
        .scalar_subquery()
    )
    query = (
        select(Capture, Page.current_url, Site.name, Site.origin)
        .join(Page, Page.id == Capture.page_id)
        .join(Site, Site.id == Page.site_id)
        .join(Blob, Blob.sha256 == Capture.payload_sha256)
        .where(Capture.id == latest)
    )
    with archive.reading() as session:
        row = session.execute(query).first()
        if row is None:
            return None
        capture, url, name, origin = row
        content_type = next((v for k, v in capture.headers if k.lower() == "content-type"), None)
        return StoredAnswer(
            page_url=url,
            site=name,
            site_origin=origin,
            capture_id=capture.id,
            captured_at=capture.captured_at,
            content_type=content_type,
            payload=blobs.read(session.connection(), str(capture.payload_sha256)),
        )
