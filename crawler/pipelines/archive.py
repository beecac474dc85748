"""ArchivePipeline: records every page item through the archive's one write path, as one run."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import replace
from datetime import datetime
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import _schedule_coro

from archive import Store
from archive.errors import storage_failure
from archive.records import Observation, PageKind, Recorded, Verdict
from crawler.items import PageItem
from crawler.planning import cursors_json
from crawler.recording import open_store, recorder
from crawler.summary import STATS, STORAGE_FAILED, RunSummary
from crawler.workers import WorkerDied, WorkerProcess

logger = logging.getLogger(__name__)


class ArchivePipeline:
    """The last pipeline: a crawl_run row per spider run, one transaction per page item.

    Pages are committed by a writer process (one, so SQLite has one writer and pages are written
    in the order they arrive), or inline when NEWSARCHIVE_WRITER_PROCESS is off or for a fetch.
    At the end of a crawl the articles its list pages showed are marked listed; after a walk
    over every list page, the live articles it did not see become unlisted.

    A fetch opens its run with its first page, so a fetch that keeps nothing leaves the archive
    as it was. A page that cannot be written is an error of the run; when the storage is at
    fault (a full disk), the crawl stops: every later page would fail the same way.
    """

    def __init__(self, crawler: Crawler, db_url: str | None, writer_process: bool) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.use_writer = writer_process
        self.writer: WorkerProcess | None = None
        self.store: Store | None = None
        self.run_id: int | None = None
        self.started_at: datetime | None = None
        self.stopping = False

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
        if spider.command != "fetch":
            self._begin_run()
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

    def _begin_run(self) -> int:
        assert self.store is not None
        spider = self.crawler.spider
        self.run_id = self.store.begin_run(
            spider.profile.name, spider.profile.origin, spider.command, _arguments(spider)
        )
        self._stats.set_value(f"{STATS}/run_id", self.run_id)
        return self.run_id

    async def _record_and_count(self, observation: Observation) -> None:
        try:
            recorded = await self._record(observation)
        except Exception as exc:  # the page is not archived; a later crawl fetches it again
            self._write_failed(observation, exc)
            return
        if observation.kind is PageKind.ARTICLE:
            self._stats.inc_value(f"{STATS}/outcome/{recorded.outcome.value}")
        for kind, _, _ in recorded.duplicates:
            self._stats.inc_value(f"{STATS}/dedup/{kind}")
        self._stats.set_value(f"{STATS}/last_recorded", recorded)

    async def _record(self, observation: Observation) -> Recorded:
        assert self.store is not None
        if self.run_id is None:
            self._begin_run()
        if self.writer is not None:
            try:
                recorded: Recorded = await self.writer.call(observation, self.run_id)
                return recorded
            except WorkerDied as exc:
                logger.error("%s; writing pages from the crawler process instead", exc)
                self.writer = None
        return self.store.record(observation, self.run_id)

    def _write_failed(self, observation: Observation, exc: Exception) -> None:
        self._stats.inc_value(f"{STATS}/write_errors")
        why = storage_failure(str(exc))
        if why is None:
            logger.error("%s could not be archived: %s", observation.url, exc)
            return
        if self._stats.get_value("finish_reason") or self.stopping:
            return
        self.stopping = True
        logger.error(
            "The archive could not be written (%s), so the crawl stops; pages already recorded "
            "are intact and the next crawl resumes. The database said: %s",
            why,
            _first_line(str(exc)),
        )
        engine = self.crawler.engine
        assert engine is not None
        _schedule_coro(engine.close_spider_async(reason=STORAGE_FAILED))

    def spider_closed(self, reason: str) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.store is None or self.run_id is None or self.started_at is None:
            return
        try:
            spider: Any = self.crawler.spider
            if spider.command == "crawl" and reason != STORAGE_FAILED:
                self._record_listing()
            summary = RunSummary.from_stats(self._stats.get_stats(), reason)
            self.store.finish_run(self.run_id, summary.status, summary.counts(), summary.exit_code)
        except Exception as exc:  # the run stays "running"; the next crawl marks it interrupted
            # After a storage failure this is expected, and was said already.
            log = logger.info if self.stopping else logger.error
            log("The run could not be closed in the archive: %s", _first_line(str(exc)))
        finally:
            self.store.archive.close()

    def _record_listing(self) -> None:
        assert self.store is not None and self.run_id is not None and self.started_at is not None
        spider: Any = self.crawler.spider
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

    @property
    def _stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats


def _arguments(spider: Any) -> dict[str, Any]:
    """What the run was asked to do, and which process did it (so a killed run can be told)."""
    return {
        "process": {"pid": os.getpid(), "host": socket.gethostname()},
        "site": spider.profile.name,
        "base_url": spider.base_url,
        "full": spider.full,
        "url": spider.single_url,
        "recheck": list(spider.recheck),
        "max_revisits": spider.max_revisits,
        "list_walk": "incremental" if spider.plan.walk.incremental else "complete",
    }


def _first_line(message: str) -> str:
    """A driver's message without the statement and parameters SQLAlchemy appends."""
    return message.split("\n", 1)[0].split(" [SQL:", 1)[0].strip()
