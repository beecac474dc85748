"""ArchivePipeline: records every page item through the archive's one write path, as one run."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro

from archive.errors import storage_failure
from archive.records import Observation, Outcome, PageKind, Recorded
from archive.store import Store
from crawler.context import crawl_context
from crawler.extract.article import ArticleExtractor
from crawler.observe import got_no_answer, no_answer_reason
from crawler.plan.crawl import schedule_next_checks
from crawler.run.context import CrawlContext
from crawler.run.drift import WATCHED as DRIFT_WATCHED
from crawler.run.drift import DriftPolicy
from crawler.run.store import crawl_store, recorder
from crawler.run.summary import STATS, STORAGE_FAILED, RunSummary
from crawler.run.workers import WorkerDied, WorkerProcess

logger = logging.getLogger(__name__)
# Pages sent to the writer and not yet committed, at most: what kill -9 of the writer can lose
# (a later crawl fetches them again). Enough that the writer, however late a loaded machine
# wakes it, finds a batch to commit in one transaction and the crawl never waits for it.
WRITER_IN_FLIGHT = 128


class ArchivePipeline:
    """The last pipeline: a crawl_run row per spider run, one transaction per page item.

    Pages are committed by a writer process (one, so SQLite has one writer and pages are written
    in the order they arrive), or inline when NEWSARCHIVE_WRITER_PROCESS is off or for a fetch.
    At the end of a crawl the articles its list pages showed are marked listed; after a walk
    over every list page, the live articles it did not see become unlisted.

    A fetch opens its run with its first page, so a fetch that keeps nothing leaves the archive
    as it was; a crawl that was refused opens none. A page that cannot be written is an error of
    the run; when the storage is at fault (a full disk), the crawl stops: every later page would
    fail the same way.

    A request that got no answer at all (DNS, refused, timeout) is held back until the site has
    answered something: only then is it a capture of an unreachable page. When the site never
    answers, the run could not reach it: nothing is kept of those pages, the run is failed and
    says so in one sentence (exit 69), and no page changes state.
    """

    def __init__(
        self, crawler: Crawler, context: CrawlContext, writer_process: bool, writer_after: int
    ) -> None:
        self.crawler = crawler
        self.context = context
        # A crawl's writer process starts once `writer_after` pages were written in this one.
        self.use_writer = writer_process and context.command == "crawl"
        self.writer_after = writer_after
        self.written_here = 0
        self.writer: WorkerProcess | None = None
        self.unanswered: list[Observation] = []
        self.store: Store | None = None
        self.run_id: int | None = None
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        writer_process = settings.getbool("NEWSARCHIVE_WRITER_PROCESS", True)
        writer_after = settings.getint("NEWSARCHIVE_WORKERS_AFTER")
        pipeline = cls(crawler, crawl_context(crawler), writer_process, writer_after)
        # The run is closed on spider_closed, which (unlike close_spider) knows the finish reason.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    def open_spider(self) -> None:
        context = self.context
        if context.refusal is not None:
            return
        self.store = self._inline_store()
        if context.command != "fetch":
            self._begin_run()

    def _inline_store(self) -> Store:
        context = self.context
        assert context.options is not None
        extractor = ArticleExtractor(context.profile, context.urls)
        return crawl_store(context.archive, extractor, context.options.gone_after)

    def _start_writer(self) -> None:
        context = self.context
        assert context.options is not None
        url = context.archive.engine.url.render_as_string(hide_password=False)
        now = self.crawler.settings.get("NEWSARCHIVE_NOW")
        gone_after = context.options.gone_after.total_seconds()
        arguments = (url, context.profile.name, context.request.base_url, now, gone_after)
        self.writer = WorkerProcess(
            recorder, arguments, name="newsarchive-archive-writer", in_flight=WRITER_IN_FLIGHT
        )
        logger.info("Writing pages from a writer process from now on")

    async def process_item(self, item: Any) -> Any:
        await self._record_and_count(item.observation)
        return item

    async def item_dropped(self, item: Any, exception: BaseException) -> None:
        """A page an earlier pipeline refused is still a capture: kept as rejected, with why."""
        observation = getattr(item, "observation", None)
        if observation is None:
            return
        rejected = replace(
            observation, verdict=Outcome.REJECTED, extracted=None, error=str(exception)
        )
        await self._record_and_count(rejected)

    def _begin_run(self) -> int:
        assert self.store is not None
        arguments = self.context.arguments()
        self.run_id = self.store.begin_run(self.context.profile.origin, arguments)
        self._stats.set_value(f"{STATS}/run_id", self.run_id)
        return self.run_id

    async def _record_and_count(self, observation: Observation) -> None:
        if got_no_answer(observation) and not self.context.site_answered:
            self.unanswered.append(observation)
            return
        held, self.unanswered = self.unanswered, []
        for earlier in held:
            await self._record_and_count(earlier)
        if got_no_answer(observation):
            logger.warning("%s failed: %s", observation.requested_url, observation.error)
        try:
            recorded = await self._record(observation)
        except Exception as exc:  # the page is not archived; a later crawl fetches it again
            self._write_failed(observation, exc)
            return
        self._count(observation, recorded)

    def _count(self, observation: Observation, recorded: Recorded) -> None:
        if observation.kind is PageKind.ARTICLE:
            self._stats.inc_value(f"{STATS}/outcome/{recorded.outcome.value}")
        elif observation.kind is PageKind.FILE:
            self._stats.inc_value(f"{STATS}/files/{recorded.outcome.value}")
        for kind, _, _ in recorded.duplicates:
            self._stats.inc_value(f"{STATS}/dedup/{kind}")
        if observation.kind is not PageKind.FILE:  # what a fetch reports: the page, not its files
            self._stats.set_value(f"{STATS}/last_recorded", recorded)

    async def _record(self, observation: Observation) -> Recorded:
        assert self.store is not None
        if self.run_id is None:
            self._begin_run()
        if self.use_writer and self.writer is None and self.written_here >= self.writer_after:
            self._start_writer()
        if self.writer is not None:
            try:
                recorded: Recorded = await self.writer.call(observation, self.run_id)
                return recorded
            except WorkerDied as exc:
                logger.error("%s; writing pages from the crawler process instead", exc)
                self.writer, self.use_writer = None, False
                # The writer wrote since this store last did: what it remembers of the run's
                # chain of digests is out of date, so a fresh store reads it from the archive.
                self.store = self._inline_store()
        self.written_here += 1
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
        deferred_from_coro(engine.close_spider_async(reason=STORAGE_FAILED))

    def spider_closed(self, reason: str) -> None:
        if self.writer is not None:
            self.writer.close()
        walk = self.context.plan.walk
        self._stats.set_value(f"{STATS}/list_walk_state", walk.state())
        self._settle_unanswered()
        if self.store is None or self.run_id is None:
            return
        try:
            if self.context.command == "crawl" and reason != STORAGE_FAILED:
                self._record_listing()
            self._judge_drift()
            if reason != STORAGE_FAILED:
                self._schedule_next_checks()
            summary = RunSummary.from_stats(self._stats.get_stats(), reason)
            self.store.finish_run(self.run_id, summary.status, summary.counts(), summary.exit_code)
        except Exception as exc:  # the run stays "running"; the next crawl marks it interrupted
            # After a storage failure this is expected, and was said already.
            log = logger.info if self.stopping else logger.error
            log("The run could not be closed in the archive: %s", _first_line(str(exc)))

    def _schedule_next_checks(self) -> None:
        """The budget planner's next checks of the articles this run captured (planner state: a
        failure here costs the next plan its order, not a page)."""
        context = self.context
        if context.options is None or context.started_at is None:
            return
        try:
            scheduled = schedule_next_checks(
                context.archive,
                context.profile,
                context.options,
                context.started_at,
                context.started_at,
            )
        except Exception as exc:
            logger.warning("The articles' next checks could not be worked out: %s", exc)
            return
        self._stats.set_value(f"{STATS}/scheduled", scheduled)

    def _judge_drift(self) -> None:
        """Whether the profile's rules stopped matching: a sentence in the stats, or nothing."""
        settings = self.crawler.settings
        policy = DriftPolicy(
            share=settings.getfloat("NEWSARCHIVE_DRIFT_SHARE"),
            minimum_pages=settings.getint("NEWSARCHIVE_DRIFT_MIN_PAGES"),
        )
        stats = self._stats.get_stats()
        missed = {rule: int(stats.get(f"{STATS}/rule_missed/{rule}", 0)) for rule in DRIFT_WATCHED}
        read = int(stats.get(f"{STATS}/extraction/read", 0))
        sentence = policy.sentence(self.context.profile.name, read, missed)
        if sentence:
            logger.error("Drift: %s", sentence)
            self._stats.set_value(f"{STATS}/drift", sentence)

    def _settle_unanswered(self) -> None:
        """Requests still held back at the end: if the site answered after all, they are pages
        it did not answer for, and are recorded; if it never did, the run could not reach it."""
        if not self.unanswered:
            return
        if self.context.site_answered and self.store is not None:
            self.store = self._inline_store()  # the writer may have written since it did
            for observation in self.unanswered:
                logger.warning("%s failed: %s", observation.requested_url, observation.error)
                if self.run_id is None:
                    self._begin_run()
                try:
                    self._count(observation, self.store.record(observation, self.run_id))
                except Exception as exc:
                    self._write_failed(observation, exc)
            return
        first = self.unanswered[0]
        host = urlsplit(first.requested_url).netloc
        sentence = f"cannot reach {host}: {no_answer_reason(first)}"
        logger.info(
            "%s; nothing was archived of the %d pages asked for", sentence, len(self.unanswered)
        )
        self._stats.set_value(f"{STATS}/unreachable", sentence)

    def _record_listing(self) -> None:
        assert self.store is not None and self.run_id is not None
        context = self.context
        unlisted = self.store.record_listing(
            context.profile.name,
            context.listed_urls,
            context.started_at or context.clock(),
            self.run_id,
            covered_since=context.plan.walk.covered_since(),
        )
        self._stats.set_value(f"{STATS}/unlisted", unlisted)

    @property
    def _stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats


def _first_line(message: str) -> str:
    """A driver's message without the statement and parameters SQLAlchemy appends."""
    return message.split("\n", 1)[0].split(" [SQL:", 1)[0].strip()
