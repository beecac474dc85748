"""The archive at a glance: its sites, their pages by state, versions, captures, stored bytes, runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.database import Archive
from archive.models import Blob, Capture, CrawlRun, Page, Site, Version
from archive.records import PageKind
from archive.runs import RunSummary, runs


@dataclass(frozen=True)
class SiteOverview:
    name: str
    origin: str
    articles: int
    by_state: dict[str, int]
    unlisted: int
    versions: int
    captures: int
    last_run: RunSummary | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "origin": self.origin,
            "articles": self.articles,
            "by_state": self.by_state,
            "unlisted": self.unlisted,
            "versions": self.versions,
            "captures": self.captures,
            "last_run": self.last_run.to_json() if self.last_run else None,
        }


@dataclass(frozen=True)
class Overview:
    sites: tuple[SiteOverview, ...]
    blobs: int
    blob_bytes: int
    stored_bytes: int
    runs: int

    def to_json(self) -> dict[str, Any]:
        return {
            "sites": [site.to_json() for site in self.sites],
            "blobs": self.blobs,
            "blob_bytes": self.blob_bytes,
            "stored_bytes": self.stored_bytes,
            "runs": self.runs,
        }


def overview(archive: Archive) -> Overview:
    """Counts per site and for the whole archive; blob_bytes are the payloads as received,
    stored_bytes as kept (compressed)."""
    with archive.reading() as session:
        sites = tuple(
            _site(session, archive, site)
            for site in session.scalars(select(Site).order_by(Site.name))
        )
        blobs, raw, stored = session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(Blob.size), 0),
                func.coalesce(func.sum(func.length(Blob.data)), 0),
            ).select_from(Blob)
        ).one()
        run_count = session.scalar(select(func.count()).select_from(CrawlRun)) or 0
    return Overview(sites, int(blobs), int(raw), int(stored), int(run_count))


def _site(session: Session, archive: Archive, site: Site) -> SiteOverview:
    articles = (Page.site_id == site.id) & (Page.kind == PageKind.ARTICLE.value)
    by_state = dict(
        session.execute(select(Page.state, func.count()).where(articles).group_by(Page.state)).all()
    )
    unlisted = session.scalar(select(func.count()).where(articles, Page.is_listed.is_(False)))
    versions = session.scalar(
        select(func.count()).select_from(Version).join(Page).where(Page.site_id == site.id)
    )
    captures = session.scalar(
        select(func.count()).select_from(Capture).join(Page).where(Page.site_id == site.id)
    )
    last = runs(archive, limit=1, site=site.name)
    return SiteOverview(
        name=site.name,
        origin=site.origin,
        articles=sum(by_state.values()),
        by_state={str(state): int(count) for state, count in by_state.items()},
        unlisted=int(unlisted or 0),
        versions=int(versions or 0),
        captures=int(captures or 0),
        last_run=last[0] if last else None,
    )
