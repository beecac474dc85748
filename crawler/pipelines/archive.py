"""ArchivePipeline: records every page item through the archive's one write path, as one run."""

from __future__ import annotations

from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from archive import Store, open_archive
from archive.database import Archive
from archive.records import PageKind
from crawler.items import PageItem
from crawler.summary import STATS, RunSummary


class ArchivePipeline:
    """The last pipeline: a crawl_run row per spider run, one transaction per page item."""

    def __init__(self, crawler: Crawler, db_url: str | None) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.archive: Archive | None = None
        self.store: Store | None = None
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipeline = cls(crawler, crawler.settings.get("NEWSARCHIVE_DB"))
        # The run is closed on spider_closed, which (unlike close_spider) knows the finish reason.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.archive = open_archive(self.db_url)
        self.store = Store(self.archive)
        self.run_id = self.store.begin_run(
            spider.profile.name, spider.profile.origin, _command(spider), _arguments(spider)
        )
        self._stats.set_value(f"{STATS}/run_id", self.run_id)

    def process_item(self, item: PageItem) -> PageItem:
        assert self.store is not None
        recorded = self.store.record(item.observation, self.run_id)
        if item.observation.kind is PageKind.ARTICLE:
            self._stats.inc_value(f"{STATS}/outcome/{recorded.outcome.value}")
        self._stats.set_value(f"{STATS}/last_recorded", recorded)
        return item

    def spider_closed(self, reason: str) -> None:
        if self.store is None or self.run_id is None or self.archive is None:
            return
        summary = RunSummary.from_stats(self._stats.get_stats(), reason)
        self.store.finish_run(self.run_id, summary.status, summary.counts(), summary.exit_code)
        self.archive.close()

    @property
    def _stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats


def _command(spider: Any) -> str:
    return "fetch" if spider.single_url else "crawl"


def _arguments(spider: Any) -> dict[str, Any]:
    return {
        "site": spider.profile.name,
        "base_url": spider.urls.base if spider.urls.base != spider.urls.origin else None,
        "full": spider.full,
        "url": spider.single_url,
        "incremental": spider.walk.incremental,
    }
