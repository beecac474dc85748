"""The HTTP download handler, made to send nothing more once the host has blocked the crawler."""

from __future__ import annotations

from typing import Self

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response

from crawler.context import crawl_context
from crawler.run.context import CrawlContext
from crawler.run.summary import STATS


class PoliteHTTPDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, checking whether the crawl was blocked at the moment of sending.

    Requests wait in the downloader's per-host queue (for the download delay, for a free slot)
    after every middleware has seen them, so this is the last point where one can be held back.
    With another project's spider it is Scrapy's handler unchanged.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.context: CrawlContext | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        handler = cls(crawler)
        try:
            handler.context = crawl_context(crawler)
        except NotConfigured:
            handler.context = None
        return handler

    async def download_request(self, request: Request) -> Response:
        if self.context is not None and self.context.blocked:
            raise IgnoreRequest("not sent: the host is answering with challenges")
        if "fetched" in request.meta and self.crawler.stats is not None:
            # The run's "pages requested": every request for a page sent, robots.txt aside.
            self.crawler.stats.inc_value(f"{STATS}/requests")
        return await super().download_request(request)
