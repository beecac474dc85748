"""ValidatePipeline: an article that cannot be right is not versioned (its capture is kept)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from archive.records import ArticleRecord, Verdict
from crawler.items import PageItem
from crawler.summary import STATS


class ValidatePipeline:
    """Drops, with a reason, an article without a title or body, with an unparseable date or one
    before NEWSARCHIVE_EARLIEST_DATE or more than a day in the future, or whose body is mostly
    boilerplate (NEWSARCHIVE_MAX_BOILERPLATE). The archive pipeline keeps the capture of a
    dropped page, with its reason, as a rejected one."""

    def __init__(self, crawler: Crawler, earliest: datetime, max_boilerplate: float) -> None:
        self.crawler = crawler
        self.earliest = earliest
        self.max_boilerplate = max_boilerplate

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        earliest = datetime.fromisoformat(
            crawler.settings.get("NEWSARCHIVE_EARLIEST_DATE", "1990-01-01")
        )
        max_boilerplate = crawler.settings.getfloat("NEWSARCHIVE_MAX_BOILERPLATE", 0.5)
        return cls(crawler, earliest, max_boilerplate)

    def process_item(self, item: PageItem) -> PageItem:
        observation = item.observation
        if observation.verdict is not Verdict.CONTENT or observation.extracted is None:
            return item
        now = self.crawler.spider.clock()
        problem = self.problem(observation.extracted.record, item.boilerplate_share, now)
        if problem is not None:
            reason, sentence = problem
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value(f"{STATS}/dropped/{reason}")
            raise DropItem(f"{reason}: {sentence}")
        return item

    def problem(
        self, record: ArticleRecord, boilerplate: float, now: datetime
    ) -> tuple[str, str] | None:
        """The reason (a code and a sentence) this record must not become a version, if any."""
        if not record.title:
            return "no_title", "the article has no title"
        if not record.body:
            if boilerplate > 0:
                return "boilerplate_body", "the body holds only boilerplate"
            return "no_body", "the article has no body"
        if boilerplate > self.max_boilerplate:
            return "boilerplate_body", f"{boilerplate:.0%} of the body is boilerplate"
        return self._date_problem(record.published_at, now)

    def _date_problem(self, published: datetime | None, now: datetime) -> tuple[str, str] | None:
        if published is None:
            return "date_unparseable", "no publication date could be read"
        earliest = (
            self.earliest.replace(tzinfo=published.tzinfo)
            if self.earliest.tzinfo is None
            else self.earliest
        )
        if published < earliest:
            return (
                "date_too_old",
                f"it says it was published {published.isoformat()}, before {earliest.date()}",
            )
        if (published - now).total_seconds() > timedelta(days=1).total_seconds():
            return (
                "date_in_future",
                f"it says it was published {published.isoformat()}, in the future",
            )
        return None
