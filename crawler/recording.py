"""The archive's write path as the crawler uses it: a Store that can re-read old payloads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from archive import Store, open_archive
from archive.clock import Clock, frozen_clock, system_clock
from archive.lifecycle import Rules
from archive.records import Observation, Recorded
from crawler.cleaning import clean_record
from crawler.extract.article import ArticleExtractor
from crawler.profile import load_profile
from crawler.urls import SiteUrls


def clock_from(now: str | None) -> Clock:
    """The crawl's clock: real time, or a fixed ISO 8601 instant (NEWSARCHIVE_NOW, for replays)."""
    return frozen_clock(datetime.fromisoformat(now)) if now else system_clock


def reparser(
    extractor: ArticleExtractor,
) -> Callable[[bytes, str | None, str], Mapping[str, Any] | None]:
    """Reads and cleans an archived payload with today's rules, so that a parser upgrade is not
    taken for an edit."""

    def reparse(payload: bytes, content_type: str | None, url: str) -> Mapping[str, Any] | None:
        reading = extractor.read(payload, content_type, url)
        if reading.extracted is None:
            return None
        return clean_record(reading.extracted.record, extractor.profile).record.fields()

    return reparse


def open_store(
    db_url: str | None, extractor: ArticleExtractor, now: str | None, gone_after_hours: float
) -> Store:
    archive = open_archive(db_url, clock=clock_from(now))
    rules = Rules(gone_after=timedelta(hours=gone_after_hours))
    return Store(archive, reparse=reparser(extractor), rules=rules)


def recorder(
    db_url: str, profile_name: str, base_url: str | None, now: str | None, gone_after_hours: float
) -> Callable[[Observation, int | None], Recorded]:
    """What the writer process serves: Store.record on the archive at `db_url`."""
    profile = load_profile(profile_name)
    extractor = ArticleExtractor(profile, SiteUrls(profile, base_url))
    return open_store(db_url, extractor, now, gone_after_hours).record
