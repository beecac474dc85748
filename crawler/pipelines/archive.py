"""ArchivePipeline: records every page item through the archive's one write path, as one run."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from archive import Store
from archive.records import Observation, PageKind, Recorded, Verdict
from crawler.items import PageItem
from crawler.planning import cursors_json
from crawler.recording import open_store, recorder
from crawler.summary import STATS, RunSummary
from crawler.workers import WorkerDied, WorkerProcess

logger = logging.getLogger(__name__)


class ArchivePipeline:
    """The last pipeline: a crawl_run row per spider run, one transaction per page item.

    Pages are committed by a writer process (one, so SQLite has one writer and pages are written
    in the order they arrive), or inline when NEWSARCHIVE_WRITER_PROCESS is off or for a fetch.
    At the end of a crawl the articles its list pages showed are marked listed; after a walk
    over every list page, the live articles it did not see become unlisted.
    """

    def __init__(self, crawler: Crawler, db_url: str | None, writer_process: bool) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.use_writer = writer_process
        self.writer: WorkerProcess | None = None
        self.store: Store | None = None
        self.run_id: int | None = None
        self.started_at: datetime | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        writer_process = settings.getbool("NEWSARCHIVE_WRITER_PROCESS", True)
        pipeline = cls(crawler, settings.get("NEWSARCHIVE_DB"), writer_process)
        # The run is closed on spider_closed, which (unlike close_spider) knows the finish reason.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        now = self.crawler.settings.get("NEWSARCHIVE_NOW")
        gone_after = spider.options.gone_after.total_seconds() / 3600
        self.store = open_store(self.db_url, spider.extractor, now, gone_after)
        self.started_at = self.store.archive.clock()
        self.run_id = self.store.begin_run(
            spider.profile.name, spider.profile.origin, spider.command, _arguments(spider)
        )
        self._stats.set_value(f"{STATS}/run_id", self.run_id)
        if self.use_writer and spider.command == "crawl":
            # Started now, so the process imports while the first list pages download.
            url = self.store.archive.engine.url.render_as_string(hide_password=False)
            arguments = (url, spider.profile.name, spider.base_url, now, gone_after)
            self.writer = WorkerProcess(recorder, arguments, name="newsarchive-archive-writer")

    async def process_item(self, item: PageItem) -> PageItem:
        await self._record_and_count(item.observation)
        return item

    async def item_dropped(self, item: Any, exception: BaseException) -> None:
        """A page an earlier pipeline refused is still a capture: kept as rejected, with why."""
        observation = getattr(item, "observation", None)
        if observation is None:
            return
        rejected = replace(
            observation, verdict=Verdict.REJECTED, extracted=None, error=str(exception)
        )
        await self._record_and_count(rejected)

    async def _record_and_count(self, observation: Observation) -> None:
        recorded = await self._record(observation)
        if observation.kind is PageKind.ARTICLE:
            self._stats.inc_value(f"{STATS}/outcome/{recorded.outcome.value}")
        for kind, _, _ in recorded.duplicates:
            self._stats.inc_value(f"{STATS}/dedup/{kind}")
        self._stats.set_value(f"{STATS}/last_recorded", recorded)

    async def _record(self, observation: Observation) -> Recorded:
        assert self.store is not None
        if self.writer is not None:
            try:
                recorded: Recorded = await self.writer.call(observation, self.run_id)
                return recorded
            except WorkerDied as exc:
                logger.error("%s; writing pages from the crawler process instead", exc)
                self.writer = None
        return self.store.record(observation, self.run_id)

    def spider_closed(self, reason: str) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.store is None or self.run_id is None or self.started_at is None:
            return
        spider = self.crawler.spider
        if spider.command == "crawl":
            walk = spider.plan.walk
            unlisted = self.store.record_listing(
                spider.profile.name,
                spider.listed_urls,
                self.started_at,
                self.run_id,
                covered_since=walk.covered_since(),
            )
            self._stats.set_value(f"{STATS}/unlisted", unlisted)
            self._stats.set_value(f"{STATS}/list_cursors", cursors_json(walk.next_cursors()))
        summary = RunSummary.from_stats(self._stats.get_stats(), reason)
        self.store.finish_run(self.run_id, summary.status, summary.counts(), summary.exit_code)
        self.store.archive.close()

    @property
    def _stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats


def _arguments(spider: Any) -> dict[str, Any]:
    return {
        "site": spider.profile.name,
        "base_url": spider.base_url,
        "full": spider.full,
        "url": spider.single_url,
        "recheck": list(spider.recheck),
        "max_revisits": spider.max_revisits,
        "list_walk": "incremental" if spider.plan.walk.incremental else "complete",
    }
