"""Browsing an archive a page at a time: a site's column, an article by its id, the captures
that hold a page's bytes (its mementos), and what a capture received."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from archive.database import Archive
from archive.errors import NotArchived
from archive.models import Capture, Page, PageUrl, Site, Version
from archive.records import Outcome, PageKind

# Captures whose payload is the page itself, as the site served it: the mementos of a page.
HOLDING = (
    Outcome.NEW.value,
    Outcome.CHANGED.value,
    Outcome.UNCHANGED.value,
    Outcome.REPARSED.value,
)
STATES = ("live", "unreachable", "gone", "untracked", "unlisted")


@dataclass(frozen=True)
class ColumnRow:
    """An article as a site's column lists it."""

    page_id: int
    url: str
    title: str
    published_at: datetime | None
    state: str
    listed: bool
    versions: int
    last_change_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.page_id,
            "url": self.url,
            "title": self.title,
            "published_at": _iso(self.published_at),
            "state": self.state,
            "listed": self.listed,
            "versions": self.versions,
            "last_change_at": _iso(self.last_change_at),
        }


@dataclass(frozen=True)
class Memento:
    """A capture that holds the page's bytes: when, which capture, which payload."""

    capture_id: int
    captured_at: datetime
    status: int | None
    payload_sha256: str
    headers: tuple[tuple[str, str], ...]
    version: int | None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def column(
    archive: Archive,
    site: str,
    *,
    published_from: datetime | None = None,
    published_to: datetime | None = None,
    state: str | None = None,
    changed: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[ColumnRow]]:
    """The site's articles newest first (by publication), filtered; and how many there are."""
    counts = (
        select(
            Version.page_id,
            func.count().label("versions"),
            func.max(Version.number).label("latest"),
        )
        .group_by(Version.page_id)
        .subquery()
    )
    query = (
        select(Page, counts.c.versions, Version.title)
        .join(Site, Site.id == Page.site_id)
        .join(counts, counts.c.page_id == Page.id)
        .join(Version, (Version.page_id == Page.id) & (Version.number == counts.c.latest))
        .where(Site.name == site, Page.kind == PageKind.ARTICLE.value)
    )
    if published_from is not None:
        query = query.where(Page.published_at >= published_from)
    if published_to is not None:
        query = query.where(Page.published_at < published_to)
    if state == "unlisted":
        query = query.where(Page.is_listed.is_(False))
    elif state is not None:
        query = query.where(Page.state == state)
    if changed:
        query = query.where(counts.c.versions > 1)
    with archive.reading() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.execute(
            query.order_by(Page.published_at.desc().nulls_last(), Page.id.desc())
            .offset(offset)
            .limit(limit)
        ).all()
        return int(total), [_row(page, versions, title) for page, versions, title in rows]


def _row(page: Page, versions: int, title: str) -> ColumnRow:
    return ColumnRow(
        page_id=page.id,
        url=page.current_url,
        title=title,
        published_at=page.published_at,
        state=page.state,
        listed=page.is_listed,
        versions=int(versions),
        last_change_at=page.last_changed_at,
    )


def page_url(archive: Archive, page_id: int) -> str:
    """The current URL of the article with this id; NotArchived if there is none (list pages
    and other pages without versions are not articles)."""
    query = select(Page.current_url).where(
        Page.id == page_id,
        Page.kind == PageKind.ARTICLE.value,
        select(Version.id).where(Version.page_id == Page.id).exists(),
    )
    with archive.reading() as session:
        url = session.scalar(query)
    if url is None:
        raise NotArchived(f"No article {page_id} is archived.")
    return str(url)


def last_activity(archive: Archive) -> datetime | None:
    """When the archive last captured anything."""
    with archive.reading() as session:
        return session.scalar(select(func.max(Capture.captured_at)))


def page_id(archive: Archive, url: str) -> int:
    """The id of the page archived at (or moved from) `url`; NotArchived if there is none."""
    with archive.reading() as session:
        found = session.scalar(select(PageUrl.page_id).where(PageUrl.url == url))
    if found is None:
        raise NotArchived(f"{url} is not in the archive.", url)
    return int(found)


def page_ids(archive: Archive, urls: Iterable[str]) -> dict[str, int]:
    """The ids of the pages archived at (or moved from) `urls`; a URL not archived is left out."""
    found: dict[str, int] = {}
    wanted = list(dict.fromkeys(urls))
    with archive.reading() as session:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = session.execute(
                select(PageUrl.url, PageUrl.page_id).where(PageUrl.url.in_(chunk))
            )
            found.update({url: int(pid) for url, pid in rows})
    return found


def site_names(archive: Archive) -> list[str]:
    """The names of the archive's sites, in order."""
    with archive.reading() as session:
        return list(session.scalars(select(Site.name).order_by(Site.name)))


def mementos(archive: Archive, url: str) -> list[Memento]:
    """The captures that hold the page's bytes, oldest first."""
    pid = page_id(archive, url)
    query = (
        select(Capture, Version.number)
        .outerjoin(Version, Version.id == Capture.version_id)
        .where(
            Capture.page_id == pid,
            Capture.outcome.in_(HOLDING),
            Capture.payload_sha256.is_not(None),
        )
        .order_by(Capture.captured_at, Capture.id)
    )
    with archive.reading() as session:
        return [
            Memento(
                capture_id=capture.id,
                captured_at=capture.captured_at,
                status=capture.status,
                payload_sha256=str(capture.payload_sha256),
                headers=tuple((str(k), str(v)) for k, v in capture.headers),
                version=number,
            )
            for capture, number in session.execute(query)
        ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
