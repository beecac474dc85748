"""When a known article is due for a check: by its age and how recently it last changed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select

from archive.database import Archive
from archive.errors import NotArchived
from archive.models import Page, PageUrl, Site
from archive.records import PageKind

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "": 1}


def parse_duration(text: str) -> timedelta:
    """`90s`, `45m`, `6h`, `1d`, `2w` or plain seconds, as a timedelta; ValueError otherwise."""
    found = _DURATION.match(str(text))
    if not found:
        raise ValueError(f"{text!r} is not a duration like 6h, 1d or 2w")
    return timedelta(seconds=float(found.group(1)) * _UNITS[found.group(2)])


@dataclass(frozen=True)
class RevisitPolicy:
    """Check intervals by age: `steps` are (age under, check every); older ones every `floor`.

    Age runs from the later of publication and the last change, so an article edited weeks after
    publication is watched closely again. A check is due `slack` (a share of the interval) early:
    a daily cron job that starts a minute earlier than yesterday still checks daily pages.
    """

    steps: tuple[tuple[timedelta, timedelta], ...] = (
        (timedelta(days=1), timedelta(0)),
        (timedelta(days=7), timedelta(hours=6)),
        (timedelta(days=30), timedelta(days=1)),
        (timedelta(days=365), timedelta(days=7)),
    )
    floor: timedelta = timedelta(days=30)
    slack: float = 0.1

    @classmethod
    def from_text(cls, steps: str | None = None, floor: str | None = None) -> RevisitPolicy:
        """From settings text: steps as `1d=0,7d=6h,30d=1d,365d=7d`, floor as `30d`."""
        default = cls()
        parsed = default.steps
        if steps:
            pairs = [part.split("=", 1) for part in steps.split(",") if part.strip()]
            if any(len(pair) != 2 for pair in pairs):
                raise ValueError(f"{steps!r} is not a list of AGE=INTERVAL pairs like 1d=0,7d=6h")
            parsed = tuple(sorted((parse_duration(a), parse_duration(b)) for a, b in pairs))
        return cls(parsed, parse_duration(floor) if floor else default.floor, default.slack)

    def interval(self, age: timedelta) -> timedelta:
        for under, every in self.steps:
            if age.total_seconds() < under.total_seconds():
                return every
        return self.floor

    def overdue(self, age: timedelta, since_check: timedelta) -> timedelta | None:
        """How far past due a page is (zero or more), or None if it is not due yet."""
        interval = self.interval(age)
        if since_check.total_seconds() < interval.total_seconds() * (1 - self.slack):
            return None
        return max(since_check - interval, timedelta(0))


@dataclass(frozen=True)
class DuePage:
    page_id: int
    url: str
    etag: str | None
    last_modified: str | None
    overdue: timedelta


@dataclass(frozen=True)
class RevisitPlan:
    """The pages to check now, most overdue first, and how many more were due than allowed."""

    pages: tuple[DuePage, ...]
    due: int

    @property
    def left(self) -> int:
        return self.due - len(self.pages)


def plan_revisits(
    archive: Archive,
    site: str,
    now: datetime,
    policy: RevisitPolicy,
    *,
    limit: int | None = None,
    everything: bool = False,
) -> RevisitPlan:
    """The site's articles due for a check at `now` (all of them with `everything`)."""
    due = [
        page
        for page in (_due_page(row, now, policy, everything) for row in _candidates(archive, site))
        if page is not None
    ]
    due.sort(key=lambda page: (-page.overdue.total_seconds(), page.page_id))
    chosen = due if limit is None else due[: max(0, limit)]
    return RevisitPlan(tuple(chosen), len(due))


def _candidates(archive: Archive, site: str) -> Sequence[Any]:
    query = (
        select(
            Page.id,
            Page.current_url,
            Page.etag,
            Page.last_modified,
            Page.first_seen_at,
            Page.published_at,
            Page.last_changed_at,
            Page.last_captured_at,
        )
        .join(Site, Site.id == Page.site_id)
        .where(Site.name == site, Page.kind == PageKind.ARTICLE.value)
    )
    with archive.reading() as session:
        return session.execute(query).all()


def _due_page(row: Any, now: datetime, policy: RevisitPolicy, everything: bool) -> DuePage | None:
    # First sight stands in for publication only when the page never said when it was published.
    start = max(t for t in (row.published_at or row.first_seen_at, row.last_changed_at) if t)
    since_check = now - row.last_captured_at
    overdue = policy.overdue(now - start, since_check)
    if overdue is None and not everything:
        return None
    return DuePage(
        page_id=row.id,
        url=row.current_url,
        etag=row.etag,
        last_modified=row.last_modified,
        overdue=overdue or timedelta(0),
    )


def recheck_pages(archive: Archive, urls: Sequence[str]) -> list[DuePage]:
    """The archived pages at `urls`, to check now whatever their schedule says."""
    query = (
        select(Page.id, Page.current_url, Page.etag, Page.last_modified)
        .join(PageUrl, PageUrl.page_id == Page.id)
        .where(PageUrl.url == bindparam("url"))
    )
    pages: dict[int, DuePage] = {}
    with archive.reading() as session:
        for url in urls:
            row = session.execute(query, {"url": url}).first()
            if row is None:
                raise NotArchived(
                    f"{url} is not in the archive; archive it first with: newsarchive fetch {url}"
                )
            pages[row.id] = DuePage(
                row.id, row.current_url, row.etag, row.last_modified, timedelta(0)
            )
    return list(pages.values())
