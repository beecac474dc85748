"""Log lines for newsarchive: a dropped page is named by its URL and reason, not its bytes; a
robots.txt that could not be downloaded is no traceback in the output (it is at DEBUG)."""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import logformatter
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

ROBOTS_LOGGER = "scrapy.downloadermiddlewares.robotstxt"


class NewsLogFormatter(logformatter.LogFormatter):
    """Scrapy's formatter, but a dropped item is `Dropped URL: reason` (an item holds a page's
    raw bytes, which Scrapy would print whole). Made once per crawl, it also quietens Scrapy's
    robots.txt middleware (see RobotsDownloadErrors)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        robots = logging.getLogger(ROBOTS_LOGGER)
        if not any(isinstance(f, RobotsDownloadErrors) for f in robots.filters):
            robots.addFilter(RobotsDownloadErrors())
        return cls()

    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Any = None,
    ) -> Any:
        observation = getattr(item, "observation", None)
        url = observation.url if observation is not None else "an item"
        # A page refused again for the reason it was last time was said then; now it is INFO.
        repeated = getattr(item, "repeated_rejection", False)
        return {
            "level": logging.INFO if repeated else logging.WARNING,
            "msg": "Dropped %(url)s: %(reason)s",
            "args": {"url": url, "reason": exception},
        }


class RobotsDownloadErrors(logging.Filter):
    """Scrapy logs a robots.txt it could not download as an error with a full traceback, then
    crawls as if robots.txt allowed everything. The pages' own failures are what matter (and
    are said, with their URLs); this one goes to DEBUG, traceback and all."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG and str(record.msg).startswith("Error downloading"):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True
