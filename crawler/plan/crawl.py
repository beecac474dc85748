"""The plan of one crawl, from the archive: known articles, the list walk, the pages to check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from archive.database import Archive
from archive.query import (
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
from crawler.plan.listwalk import ListWalk
from crawler.plan.options import Options
from crawler.plan.revisits import DuePage, RevisitPlan, due_revisits
from crawler.sites.profile import SiteProfile


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


def plan_crawl(
    archive: Archive, profile: SiteProfile, options: Options, now: datetime, *, full: bool
) -> CrawlPlan:
    """A crawl: every list page on a backfill, an audit or after a crawl cut short; otherwise the
    newest list pages until known ground plus a rolling slice of the rest; and the known articles
    that are due."""
    site = profile.name
    revisits = due_revisits(
        archive,
        site,
        now,
        options.policy,
        limit=None if full else options.max_revisits,
        everything=full,
    )
    # What a crawl cut short had still to fetch is not written down anywhere but is found again:
    # its list pages' articles that are not archived, and its revisits, still due.
    walk_all = (
        full or last_complete_walk(archive, site) is None or last_crawl_cut_short(archive, site)
    )
    walk = _list_walk(profile, options, now, previous_crawl(archive, site), walk_all=walk_all)
    return CrawlPlan(
        known_article_urls(archive, site),
        untracked_urls(archive, site),
        rejections(archive, site),
        walk,
        revisits,
        conditional=not full,
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
