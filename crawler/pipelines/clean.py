"""CleanPipeline: every record in canonical form, damaged copies repaired; a counter per rule."""

from __future__ import annotations

from dataclasses import replace
from typing import Self

from scrapy.crawler import Crawler

from archive.records import READ_VERDICTS
from crawler.cleaning import CLEANER_VERSION, clean_record
from crawler.items import PageItem
from crawler.summary import STATS


class CleanPipeline:
    """Cleans the records of articles and of copies found elsewhere (see crawler.cleaning): applies
    the cleaning an extraction worker computed with the reading, or computes it here."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: PageItem) -> PageItem:
        observation = item.observation
        if observation.verdict not in READ_VERDICTS or observation.extracted is None:
            return item
        profile = self.crawler.spider.profile
        extracted = observation.extracted
        cleaned = item.cleaned or clean_record(extracted.record, profile)
        item.boilerplate_share = cleaned.boilerplate
        self._count(cleaned.applied)
        cleaned_extracted = replace(
            extracted,
            record=cleaned.record,
            repairs=cleaned.repairs.to_json(),
            fingerprint=cleaned.fingerprint,
            parser_version=f"{extracted.parser_version}+c{CLEANER_VERSION}",
        )
        item.observation = replace(observation, extracted=cleaned_extracted)
        return item

    def _count(self, applied: dict[str, int]) -> None:
        stats = self.crawler.stats
        for rule, count in applied.items():
            if count and stats is not None:
                stats.inc_value(f"{STATS}/clean/{rule}", count)
