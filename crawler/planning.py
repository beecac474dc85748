"""What a crawl will do, decided from the archive before it starts: list walk and revisits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from scrapy.settings import BaseSettings

from archive import open_archive
from archive.query import known_article_urls, last_complete_walk, last_crawl, last_crawl_cut_short
from archive.schedule import (
    DuePage,
    RevisitPlan,
    RevisitPolicy,
    parse_duration,
    plan_revisits,
    recheck_pages,
)
from crawler.listwalk import Cursor, ListWalk
from crawler.profile import SiteProfile

T = TypeVar("T")


@dataclass(frozen=True)
class Options:
    """A crawl's knobs, read from Scrapy settings (and spider arguments) and checked up front."""

    policy: RevisitPolicy
    list_walk_every: timedelta
    gone_after: timedelta
    stop_after_known_pages: int
    max_revisits: int | None = None

    @classmethod
    def from_settings(
        cls, settings: BaseSettings, profile: SiteProfile, max_revisits: int | None = None
    ) -> Options:
        """Raises ValueError naming the setting when one is malformed."""
        limit = (
            max_revisits if max_revisits is not None else settings.get("NEWSARCHIVE_MAX_REVISITS")
        )
        return cls(
            policy=_setting(
                "NEWSARCHIVE_REVISIT_STEPS",
                lambda: RevisitPolicy.from_text(
                    settings.get("NEWSARCHIVE_REVISIT_STEPS"),
                    settings.get("NEWSARCHIVE_REVISIT_FLOOR"),
                ),
            ),
            list_walk_every=_setting(
                "NEWSARCHIVE_LIST_WALK_EVERY",
                lambda: parse_duration(settings.get("NEWSARCHIVE_LIST_WALK_EVERY", "7d")),
            ),
            gone_after=_setting(
                "NEWSARCHIVE_GONE_AFTER",
                lambda: parse_duration(settings.get("NEWSARCHIVE_GONE_AFTER", "24h")),
            ),
            stop_after_known_pages=settings.getint(
                "NEWSARCHIVE_STOP_AFTER_KNOWN_PAGES", profile.listing.stop_after_known_pages
            ),
            max_revisits=_setting(
                "--max-revisits", lambda: None if limit in (None, "") else int(limit)
            ),
        )


@dataclass
class CrawlPlan:
    """Known articles (not fetched again from the lists), the list walk, and the pages to check."""

    known: set[str] = field(default_factory=set)
    walk: ListWalk = field(default_factory=lambda: ListWalk((), incremental=False))
    revisits: RevisitPlan = field(default_factory=lambda: RevisitPlan((), 0))
    conditional: bool = True


def plan_crawl(
    db_url: str | None, profile: SiteProfile, options: Options, now: datetime, *, full: bool
) -> CrawlPlan:
    """A crawl: every list page on a backfill, an audit or after a crawl cut short; otherwise the
    newest list pages until known ground plus a rolling slice of the rest; and the known articles
    that are due."""
    archive = open_archive(db_url)
    try:
        known = known_article_urls(archive, profile.name)
        backfilled = last_complete_walk(archive, profile.name) is not None
        resume = last_crawl_cut_short(archive, profile.name)
        previous = last_crawl(archive, profile.name)
        revisits = plan_revisits(
            archive,
            profile.name,
            now,
            options.policy,
            limit=None if full else options.max_revisits,
            everything=full,
        )
    finally:
        archive.close()
    # What a crawl cut short had still to fetch is not written down anywhere but is found again:
    # its list pages' articles that are not archived, and its revisits, still due.
    walk_all = full or not backfilled or resume
    walk = _list_walk(profile, options, now, previous, walk_all=walk_all)
    return CrawlPlan(known, walk, revisits, conditional=not full)


def _list_walk(
    profile: SiteProfile,
    options: Options,
    now: datetime,
    previous: tuple[datetime, dict[str, Any]] | None,
    *,
    walk_all: bool,
) -> ListWalk:
    """Every list page is walked once per `list_walk_every`, spread over the crawls in between:
    each takes the share of the pages that the time since the last crawl is of that period."""
    period = options.list_walk_every.total_seconds()
    paths, stop_after = profile.listing.paths, options.stop_after_known_pages
    if walk_all or period <= 0 or previous is None:
        return ListWalk(paths, incremental=False, stop_after=stop_after, started_at=now)
    last_started, counts = previous
    share = (now - last_started).total_seconds() / period
    cursors = {path: _cursor(counts.get("list_cursors", {}).get(path)) for path in paths}
    return ListWalk(
        paths, incremental=True, stop_after=stop_after, share=share, cursors=cursors, started_at=now
    )


def _cursor(saved: dict[str, Any] | None) -> Cursor:
    if not saved:
        return Cursor()
    started = saved.get("round_started_at")
    return Cursor(
        int(saved.get("next_page", 0)), datetime.fromisoformat(started) if started else None
    )


def cursors_json(cursors: dict[str, Cursor]) -> dict[str, dict[str, Any]]:
    """How a crawl's list cursors are kept in its crawl_run counts."""
    return {
        path: {
            "next_page": cursor.next_page,
            "round_started_at": cursor.round_started_at.isoformat()
            if cursor.round_started_at
            else None,
        }
        for path, cursor in cursors.items()
    }


def plan_recheck(db_url: str | None, urls: Sequence[str]) -> CrawlPlan:
    """A forced check of archived pages, conditional like any revisit (NotArchived otherwise)."""
    archive = open_archive(db_url)
    try:
        pages: tuple[DuePage, ...] = tuple(recheck_pages(archive, urls))
    finally:
        archive.close()
    return CrawlPlan(revisits=RevisitPlan(pages, len(pages)))


def _setting(name: str, read: Callable[[], T]) -> T:
    try:
        return read()
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
