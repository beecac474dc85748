"""The plan of one crawl, from the archive: known articles, the list walk, the pages to check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from archive.checks import (
    article_histories,
    articles_to_schedule,
    floor_backlog,
    listed_articles,
    sample_articles,
    scheduled_articles,
    set_next_checks,
    site_load,
    tracked_article_count,
)
from archive.database import Archive
from archive.query import (
    chunked,
    known_article_urls,
    rejections,
    tracked_pages,
    untracked_urls,
)
from archive.runs import (
    Cursor,
    PreviousCrawl,
    last_complete_walk,
    last_crawl_cut_short,
    previous_crawl,
)
from archive.text.fold import fold_spaces
from crawler.plan.budget import (
    HISTORY,
    Budget,
    auto_budget,
    list_reserve,
    plan_from_backlog,
    plan_within_budget,
)
from crawler.plan.listwalk import ListWalk
from crawler.plan.nextcheck import RESCHEDULE_YOUNGER, SAMPLE, Scheduler, weekly_slice
from crawler.plan.options import Options
from crawler.plan.revisits import (
    DuePage,
    DueSummary,
    RevisitPlan,
    RevisitPolicy,
    due_rechecks,
    due_revisits,
)
from crawler.sites.profile import ProfileError, SiteProfile, load_profile, platform_sites

if TYPE_CHECKING:
    from crawler.extract.listing import ListEntry


@dataclass
class CrawlPlan:
    """Known articles (not fetched again from the lists), the list walk, and the pages to check."""

    known: set[str] = field(default_factory=set)
    # Pages an archivist untracked: never fetched, even by an audit.
    untracked: set[str] = field(default_factory=set)
    # Pages whose latest capture validation refused, with why: the same refusal again is no news.
    rejected: dict[str, str] = field(default_factory=dict)
    walk: ListWalk = field(default_factory=lambda: ListWalk((), incremental=False))
    revisits: RevisitPlan = field(default_factory=RevisitPlan)
    conditional: bool = True
    # Articles whose title on a list page was compared with the archived one in this crawl: the
    # revisits (checked anyway), then each one a list page showed.
    compared: set[str] = field(default_factory=set)

    def listed_changes(
        self, archive: Archive, site: str, listed: Sequence[ListEntry]
    ) -> list[DuePage]:
        """The checks to make now of known articles a list page shows under another title than
        their archived one (a change seen for free), while the revisits' reserve lasts; each
        article once a crawl. Only the page's own entries are looked up."""
        wanted = {
            e.url: e.title for e in listed if e.url in self.known and e.url not in self.compared
        }
        self.compared |= wanted.keys()
        found = listed_articles(archive, site, list(wanted)) if wanted else {}
        changed = [
            DuePage.of(page)
            for url, (title, page) in found.items()
            if not same_title(wanted[url], title)
        ]
        reserve = self.revisits.reserve
        if reserve is None:
            return changed
        taken = changed[: max(0, reserve)]
        self.revisits = replace(self.revisits, reserve=reserve - len(taken))
        return taken


def plan_crawl(
    archive: Archive, profile: SiteProfile, options: Options, now: datetime, *, full: bool
) -> CrawlPlan:
    """A crawl: every list page on a backfill, an audit or after a crawl cut short; otherwise the
    newest list pages until known ground plus a rolling slice of the rest; and the known articles
    that are due."""
    site = profile.name
    previous = previous_crawl(archive, site)
    if full:
        revisits = due_revisits(archive, site, now, options.policy, everything=True)
    else:
        revisits = _revisits(archive, profile, options, now, previous)
    # What a crawl cut short had still to fetch is not written down anywhere but is found again:
    # its list pages' articles that are not archived, and its revisits, still due.
    walk_all = (
        full or last_complete_walk(archive, site) is None or last_crawl_cut_short(archive, site)
    )
    walk = _list_walk(profile, options, now, previous, walk_all=walk_all)
    return CrawlPlan(
        known_article_urls(archive, site),
        untracked_urls(archive, site),
        rejections(archive, site),
        walk,
        revisits,
        conditional=not full,
        compared={page.url for page in revisits.pages},  # checked anyway (an audit: all)
    )


def planned_revisits(
    archive: Archive, profile: SiteProfile, options: Options, now: datetime
) -> RevisitPlan:
    """The articles a crawl of `profile` at `now` would check (no audit): by the planner the
    options name, after the site's latest finished crawl."""
    return _revisits(archive, profile, options, now, previous_crawl(archive, profile.name))


def _revisits(
    archive: Archive,
    profile: SiteProfile,
    options: Options,
    now: datetime,
    previous: PreviousCrawl | None,
) -> RevisitPlan:
    """The articles to check now, by the planner the options name, within the run's share of
    the daily budget: the time since the previous crawl started, as a share of a day."""
    site, limit = profile.name, options.max_revisits
    per_day = _daily_budget(archive, profile, options, now)
    share = 1.0 if previous is None else (now - previous.started_at) / timedelta(days=1)
    if options.planner == "schedule":
        run = Budget(per_day).for_run(share)
        return _scheduled(archive, site, now, options.policy, run=run, limit=limit)
    budget = Budget(per_day, options.floor, options.min_interval)
    # Within a budget, read from the archive in index order: those past the floor, then the
    # others as their next checks fall.
    quick = plan_from_backlog(
        partial(floor_backlog, archive, site),
        tracked_article_count(archive, site),
        now,
        budget,
        share=share,
        limit=limit,
        scheduled=partial(scheduled_articles, archive, site),
    )
    if quick is not None:
        return quick
    articles = article_histories(archive, site, since=now - HISTORY)
    return plan_within_budget(articles, now, budget, share=share, limit=limit)


def _scheduled(
    archive: Archive,
    site: str,
    now: datetime,
    policy: RevisitPolicy,
    *,
    run: int | None,
    limit: int | None,
) -> RevisitPlan:
    """The articles the age schedule makes due, most overdue first: at most the run's checks
    (None: no limit) less the list-title reserve, and at most `limit`. `due` counts every one:
    those not checked stay due for the next crawl."""
    if run is None:
        return due_revisits(archive, site, now, policy, limit=limit)
    reserve = list_reserve(run)
    room = run - reserve if limit is None else min(run - reserve, limit)
    plan = due_revisits(archive, site, now, policy, limit=room)
    return replace(plan, reserve=reserve, budget=run)


def schedule_next_checks(
    archive: Archive, profile: SiteProfile, options: Options, now: datetime, since: datetime
) -> int:
    """Works out again the next check of the site's articles the budget planner's next plan may
    take or whose chances are still being learnt: those captured at or after `since` (a crawl's
    start), never scheduled, due by the next crawl, young (RESCHEDULE_YOUNGER), or in the day's
    slice of a seventh of them (weekly_slice); how many. Nothing under the schedule planner or
    without a budget (every article is weighed then)."""
    if options.planner != "budget":
        return 0
    budget = _budget(archive, profile, options, now)
    if budget.per_day is None:
        return 0
    site = profile.name
    cadence = _cadence(archive, site, now, budget)
    pages = articles_to_schedule(
        archive,
        site,
        captured_since=since,
        born_after=now - RESCHEDULE_YOUNGER,
        due_by=now + cadence,
        slice_of=weekly_slice(now),
    )
    if not pages:
        return 0
    count = tracked_article_count(archive, site)
    sampled = sample_articles(archive, site, SAMPLE, born_after=now - RESCHEDULE_YOUNGER)
    sample = article_histories(archive, site, now - HISTORY, sampled)
    scheduler = Scheduler.fit(sample, count, now, budget, cadence)
    weighed = 0
    for chunk in chunked(pages):  # a backfill's every article: in chunks, for memory's sake
        articles = article_histories(archive, site, now - HISTORY, chunk)
        set_next_checks(archive, {a.page.page_id: scheduler.next_check(a) for a in articles})
        weighed += len(articles)
    return weighed


def _cadence(archive: Archive, site: str, now: datetime, budget: Budget) -> timedelta:
    """How often the site is crawled: the time since the previous crawl started, within
    min_interval and a day."""
    previous = previous_crawl(archive, site)
    since = timedelta(days=1) if previous is None else now - previous.started_at
    return min(timedelta(days=1), max(budget.min_interval, since))


def _budget(archive: Archive, profile: SiteProfile, options: Options, now: datetime) -> Budget:
    return Budget(
        _daily_budget(archive, profile, options, now), options.floor, options.min_interval
    )


def _daily_budget(
    archive: Archive, profile: SiteProfile, options: Options, now: datetime
) -> int | None:
    """The budget set, or what the profile's politeness allows (crawler.plan.budget): no
    limit without a delay."""
    if options.daily_budget is not None:
        return options.daily_budget
    if options.delay <= 0:  # site_load's counts are not needed
        return None
    return auto_budget(
        options.delay,
        platform_sites(profile),
        site_load(archive, profile.name, now),
        options.list_walk_every,
        options.stop_after_known_pages,
    )


def plan_recheck(archive: Archive, urls: Sequence[str]) -> CrawlPlan:
    """A forced check of archived pages, conditional like any revisit (NotArchived otherwise)."""
    pages = tuple(DuePage.of(page) for page in tracked_pages(archive, urls))
    return CrawlPlan(revisits=RevisitPlan(pages, len(pages)))


def _list_walk(
    profile: SiteProfile,
    options: Options,
    now: datetime,
    previous: PreviousCrawl | None,
    *,
    walk_all: bool,
) -> ListWalk:
    """Every list page is walked once per `list_walk_every`, spread over the crawls in between:
    each takes the share of the pages that the time since the last crawl is of that period."""
    period = options.list_walk_every.total_seconds()
    paths, stop_after = profile.listing.paths, options.stop_after_known_pages
    if walk_all or period <= 0 or previous is None:
        return ListWalk(paths, incremental=False, stop_after=stop_after, started_at=now)
    share = (now - previous.started_at).total_seconds() / period
    cursors = {path: previous.walk.cursors.get(path, Cursor()) for path in paths}
    return ListWalk(
        paths, incremental=True, stop_after=stop_after, share=share, cursors=cursors, started_at=now
    )


def due_now(archive: Archive, site: str, now: datetime) -> DueSummary:
    """What a crawl of `site` at `now` would re-check by the shipped settings and the site's
    profile, and the article past its floor the longest (`status`); by the age schedule for a
    site whose profile cannot be loaded."""
    try:
        profile = load_profile(site)
    except ProfileError:
        return due_rechecks(archive, site, now)
    options = Options.from_settings(
        ShippedSettings(profile.settings), profile.listing.stop_after_known_pages
    )
    return due_summary(archive, profile, options, now)


def due_summary(
    archive: Archive, profile: SiteProfile, options: Options, now: datetime
) -> DueSummary:
    """How many articles a crawl with `options` would count due at `now`, and the one overdue
    the longest (by the age schedule: read alone, and named even when the run's budget leaves
    no room for it)."""
    if options.planner == "schedule":
        plan = due_revisits(archive, profile.name, now, options.policy, limit=1)
    else:
        plan = planned_revisits(archive, profile, options, now)
    oldest = plan.pages[0] if plan.pages else None
    if oldest is None or (options.planner == "budget" and oldest.overdue <= timedelta(0)):
        return DueSummary(plan.due)
    return DueSummary(plan.due, oldest.url, now - oldest.overdue)


@dataclass(frozen=True)
class ShippedSettings:
    """The project's settings (crawler/settings.py) under a profile's [settings] table."""

    overrides: Mapping[str, Any]

    def get(self, name: str, default: Any = None) -> Any:
        from crawler import settings  # plain constants: no Scrapy

        return self.overrides.get(name, getattr(settings, name, default))

    def getint(self, name: str, default: int = 0) -> int:
        value = self.get(name)
        return default if value is None else int(value)


def same_title(listed: str, archived: str) -> bool:
    """Whether a list page's title is the archived one: alike once spaces are folded, or its
    start when the list cut it short (… or ...)."""
    listed, archived = fold_spaces(listed), fold_spaces(archived)
    for ellipsis in ("…", "..."):
        if listed.endswith(ellipsis):
            stem = listed.removesuffix(ellipsis).rstrip()
            return archived.startswith(stem)
    return listed == archived
