"""CleanPipeline: every record in canonical form, damaged copies repaired; a counter per rule."""

from __future__ import annotations

from dataclasses import replace
from typing import Self

from scrapy.crawler import Crawler

from archive.records import READ_VERDICTS
from crawler.context import crawl_context
from crawler.extract.record import clean_record
from crawler.items import PageItem
from crawler.run.summary import STATS
from crawler.sites.profile import SiteProfile


class CleanPipeline:
    """Cleans the records of articles and of copies found elsewhere (crawler.extract.record):
    applies the cleaning an extraction worker computed with the reading, or computes it here."""

    def __init__(self, crawler: Crawler, profile: SiteProfile) -> None:
        self.crawler = crawler
        self.profile = profile

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, crawl_context(crawler).profile)

    def process_item(self, item: PageItem) -> PageItem:
        observation = item.observation
        if observation.verdict not in READ_VERDICTS or observation.extracted is None:
            return item
        extracted = observation.extracted
        cleaned = item.cleaned or clean_record(extracted.record, self.profile)
        item.boilerplate_share = cleaned.boilerplate
        self._count(cleaned.applied)
        item.observation = replace(observation, extracted=cleaned.apply(extracted))
        return item

    def _count(self, applied: dict[str, int]) -> None:
        stats = self.crawler.stats
        for rule, count in applied.items():
            if count and stats is not None:
                stats.inc_value(f"{STATS}/clean/{rule}", count)
