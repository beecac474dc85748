"""What a crawl will do, decided from the archive before it starts: list walk and revisits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from scrapy.settings import BaseSettings

from archive import open_archive
from archive.database import Archive
from archive.query import known_article_urls, last_complete_walk
from archive.schedule import (
    DuePage,
    RevisitPlan,
    RevisitPolicy,
    parse_duration,
    plan_revisits,
    recheck_pages,
)
from crawler.listwalk import ListWalk
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
    """A crawl: every list page on a backfill, an audit, or when the last full walk is old;
    otherwise newest list pages until known ground; and the known articles that are due."""
    archive = open_archive(db_url)
    try:
        known = known_article_urls(archive, profile.name)
        walk_all = full or _walk_due(archive, profile.name, now, options.list_walk_every)
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
    walk = ListWalk(
        profile.listing.paths, incremental=not walk_all, stop_after=options.stop_after_known_pages
    )
    return CrawlPlan(known, walk, revisits, conditional=not full)


def plan_recheck(db_url: str | None, urls: Sequence[str]) -> CrawlPlan:
    """A forced check of archived pages, conditional like any revisit (NotArchived otherwise)."""
    archive = open_archive(db_url)
    try:
        pages: tuple[DuePage, ...] = tuple(recheck_pages(archive, urls))
    finally:
        archive.close()
    return CrawlPlan(revisits=RevisitPlan(pages, len(pages)))


def _walk_due(archive: Archive, site: str, now: datetime, every: timedelta) -> bool:
    """A full list walk is due on the first crawl and when the last one is `every` old."""
    last = last_complete_walk(archive, site)
    return last is None or (now - last).total_seconds() >= every.total_seconds()


def _setting(name: str, read: Callable[[], T]) -> T:
    try:
        return read()
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
