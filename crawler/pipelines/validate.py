"""ValidatePipeline: an article that cannot be right is not versioned (its capture is kept)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from archive.clock import Clock
from archive.records import Outcome
from crawler.context import crawl_context
from crawler.extract.validate import Validation
from crawler.items import PageItem
from crawler.run.summary import STATS


class ValidatePipeline:
    """Drops, with a reason, an article the rules of crawler.extract.validate refuse
    (NEWSARCHIVE_EARLIEST_DATE, NEWSARCHIVE_MAX_BOILERPLATE). The archive pipeline keeps the
    capture of a dropped page, with its reason, as a rejected one."""

    def __init__(
        self,
        crawler: Crawler,
        validation: Validation,
        clock: Clock,
        rejected: Mapping[str, str] | None = None,
    ) -> None:
        self.crawler = crawler
        self.validation = validation
        self.clock = clock
        self.rejected = rejected or {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        validation = Validation(
            earliest=datetime.fromisoformat(
                settings.get("NEWSARCHIVE_EARLIEST_DATE", "1990-01-01")
            ),
            max_boilerplate=settings.getfloat("NEWSARCHIVE_MAX_BOILERPLATE", 0.5),
        )
        context = crawl_context(crawler)
        return cls(crawler, validation, context.clock, context.plan.rejected)

    def process_item(self, item: PageItem) -> PageItem:
        observation = item.observation
        if observation.verdict is not Outcome.CONTENT or observation.extracted is None:
            return item
        record = observation.extracted.record
        problem = self.validation.problem(record, item.boilerplate_share, self.clock())
        if problem is not None:
            reason, sentence = problem
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value(f"{STATS}/dropped/{reason}")
            why = f"{reason}: {sentence}"
            item.repeated_rejection = self.rejected.get(observation.url) == why
            raise DropItem(why)
        return item
