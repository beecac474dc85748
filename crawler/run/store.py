"""The archive as a crawl writes to it: a Store that re-reads old payloads, in or out of process."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from archive.clock import Clock, frozen_clock, system_clock
from archive.database import Archive, open_archive
from archive.lifecycle import Rules
from archive.records import Observation, Recorded
from archive.store import Store
from crawler.extract.article import ArticleExtractor
from crawler.extract.record import reparser
from crawler.sites.profile import load_profile
from crawler.sites.urls import SiteUrls


def clock_from(now: str | None) -> Clock:
    """The crawl's clock: real time, or a fixed ISO 8601 instant (NEWSARCHIVE_NOW, for replays);
    ValueError when the instant is not one."""
    return frozen_clock(datetime.fromisoformat(now)) if now else system_clock


def crawl_store(archive: Archive, extractor: ArticleExtractor, gone_after: timedelta) -> Store:
    """A Store whose parser upgrades are told apart from edits by re-reading with `extractor`."""
    return Store(archive, reparse=reparser(extractor), rules=Rules(gone_after=gone_after))


class Recorder:
    """What the writer process serves: Store.record, and Store.record_many for the pages
    waiting together (crawler.run.workers)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(self, observation: Observation, run_id: int | None) -> Recorded:
        return self.store.record(observation, run_id)

    def many(self, calls: Sequence[tuple[Observation, int | None]]) -> list[Recorded | Exception]:
        return self.store.record_many(calls)


def recorder(
    db_url: str, profile_name: str, base_url: str | None, now: str | None, gone_after: float
) -> Recorder:
    """What the writer process serves, on the archive at `db_url` (`gone_after` in seconds:
    what a process is handed must pickle)."""
    profile = load_profile(profile_name)
    extractor = ArticleExtractor(profile, SiteUrls(profile, base_url))
    archive = open_archive(db_url, clock=clock_from(now))
    return Recorder(crawl_store(archive, extractor, timedelta(seconds=gone_after)))
