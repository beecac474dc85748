"""Log lines for newsarchive: a dropped page is named by its URL and reason, not its bytes."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import logformatter
from scrapy.http import Response
from twisted.python.failure import Failure


class NewsLogFormatter(logformatter.LogFormatter):
    """Scrapy's formatter, but a dropped item is `Dropped URL: reason` (an item holds a page's
    raw bytes, which Scrapy would print whole)."""

    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Any = None,
    ) -> Any:
        observation = getattr(item, "observation", None)
        url = observation.url if observation is not None else "an item"
        return {
            "level": logging.WARNING,
            "msg": "Dropped %(url)s: %(reason)s",
            "args": {"url": url, "reason": exception},
        }
