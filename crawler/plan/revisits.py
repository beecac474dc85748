"""When a known article is due for a check: by its age and how recently it last changed."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from archive.database import Archive
from archive.query import TrackedPage
from archive.schedule import Band, due_articles
from crawler.plan.durations import parse_duration


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
        """From settings text: steps as `1d=0,7d=6h,30d=1d,365d=7d`, floor as `30d` (`auto`:
        the default, 30 days: the budget planner derives its own floor)."""
        default = cls()
        parsed = default.steps
        if steps:
            pairs = [part.split("=", 1) for part in steps.split(",") if part.strip()]
            if any(len(pair) != 2 for pair in pairs):
                raise ValueError(f"{steps!r} is not a list of AGE=INTERVAL pairs like 1d=0,7d=6h")
            parsed = tuple(sorted((parse_duration(a), parse_duration(b)) for a, b in pairs))
        given = parse_duration(floor) if floor and floor != "auto" else default.floor
        return cls(parsed, given, default.slack)

    def interval(self, age: timedelta) -> timedelta:
        for under, every in self.steps:
            if age.total_seconds() < under.total_seconds():
                return every
        return self.floor

    def overdue(
        self, age: timedelta, since_check: timedelta, *, rejected: bool = False
    ) -> timedelta | None:
        """How far past due a page is (zero or more), or None if it is not due yet. A page whose
        last capture validation refused is checked as seldom as the oldest (`floor`): there is
        no article to watch closely, and an audit (--full) fetches it anyway."""
        interval = self.floor if rejected else self.interval(age)
        if since_check.total_seconds() < interval.total_seconds() * (1 - self.slack):
            return None
        return max(since_check - interval, timedelta(0))

    def due_after(self, interval: timedelta) -> timedelta:
        """The least time since the last check at which a page checked every `interval` is
        due: exactly where overdue() stops saying None (its float test, to the microsecond)."""
        share = interval.total_seconds() * (1 - self.slack)
        micros = math.ceil(share * 1_000_000)
        while (micros - 1) / 1_000_000 >= share:
            micros -= 1
        while micros / 1_000_000 < share:
            micros += 1
        return timedelta(microseconds=micros)

    def bands(self, now: datetime) -> tuple[list[Band], Band]:
        """The schedule at `now` as the archive's query takes it: a band per step (pages whose
        schedule started less than its age ago), the floor for the rest, and the band of
        pages validation refused (the floor's)."""
        floor = Band(None, self.floor, now - self.due_after(self.floor))
        steps = [
            Band(now - under, every, now - self.due_after(every)) for under, every in self.steps
        ]
        return [*steps, floor], floor


@dataclass(frozen=True)
class DuePage:
    """A page to check now, with the validators of its last capture."""

    page_id: int
    url: str
    etag: str | None
    last_modified: str | None
    overdue: timedelta = timedelta(0)

    @classmethod
    def of(cls, page: TrackedPage, overdue: timedelta = timedelta(0)) -> DuePage:
        return cls(page.page_id, page.url, page.etag, page.last_modified, overdue)


@dataclass(frozen=True)
class RevisitPlan:
    """The pages to check now, in order, and how many were due (more when a limit cut them)."""

    pages: tuple[DuePage, ...] = ()
    due: int = 0
    # Within a budget: checks kept for articles a list page shows with a changed title (None:
    # as many as it shows), the run's checks (None: no limit) and the longest an article goes
    # unchecked.
    reserve: int | None = None
    budget: int | None = None
    floor: timedelta | None = None

    @property
    def left(self) -> int:
        return self.due - len(self.pages)


def plan_revisits(
    pages: Iterable[TrackedPage],
    now: datetime,
    policy: RevisitPolicy,
    *,
    limit: int | None = None,
    everything: bool = False,
) -> RevisitPlan:
    """The pages due for a check at `now` (all of them with `everything`), most overdue first."""
    due = [
        page
        for page in (_due_page(page, now, policy, everything) for page in pages)
        if page is not None
    ]
    due.sort(key=lambda page: (-page.overdue.total_seconds(), page.page_id))
    chosen = due if limit is None else due[: max(0, limit)]
    return RevisitPlan(tuple(chosen), len(due))


@dataclass(frozen=True)
class DueSummary:
    """How many of a site's pages are due for a check now, and the one due the longest."""

    count: int
    oldest_url: str | None = None
    due_since: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        since = self.due_since.isoformat() if self.due_since else None
        return {"count": self.count, "oldest": self.oldest_url, "due_since": since}


def due_revisits(
    archive: Archive,
    site: str,
    now: datetime,
    policy: RevisitPolicy,
    *,
    limit: int | None = None,
    everything: bool = False,
) -> RevisitPlan:
    """The site's tracked articles due at `now` (all of them with `everything`), most overdue
    first: what a crawl checks. The same plan as plan_revisits over tracked_articles, asked of
    the archive in one query (archive.schedule): only the pages chosen are read."""
    bands, rejected = policy.bands(now)
    found, due = due_articles(
        archive, site, now, bands, rejected, limit=limit, everything=everything
    )
    pages = tuple(DuePage(a.page_id, a.url, a.etag, a.last_modified, a.overdue) for a in found)
    return RevisitPlan(pages, due)


def due_rechecks(archive: Archive, site: str, now: datetime) -> DueSummary:
    """The site's pages due at `now` by the shipped schedule, and the one overdue the longest."""
    plan = due_revisits(archive, site, now, default_policy(), limit=1)
    if not plan.pages:
        return DueSummary(plan.due)
    oldest = plan.pages[0]
    return DueSummary(plan.due, oldest.url, now - oldest.overdue)


def default_policy() -> RevisitPolicy:
    """The schedule the project's settings ship (NEWSARCHIVE_REVISIT_STEPS and _FLOOR)."""
    from crawler import settings  # plain constants: no Scrapy

    return RevisitPolicy.from_text(
        settings.NEWSARCHIVE_REVISIT_STEPS, settings.NEWSARCHIVE_REVISIT_FLOOR
    )


def _due_page(
    page: TrackedPage, now: datetime, policy: RevisitPolicy, everything: bool
) -> DuePage | None:
    # First sight stands in for publication only when the page never said when it was published.
    start = max(t for t in (page.published_at or page.first_seen_at, page.last_changed_at) if t)
    overdue = policy.overdue(now - start, now - page.last_captured_at, rejected=page.rejected)
    if overdue is None and not everything:
        return None
    return DuePage.of(page, overdue or timedelta(0))
