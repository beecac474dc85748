"""The HTTP download handler, made to send nothing more once the host has blocked the crawler."""

from __future__ import annotations

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response


class PoliteHTTPDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, checking the spider's `blocked` flag at the moment of sending.

    Requests wait in the downloader's per-host queue (for the download delay, for a free slot)
    after every middleware has seen them, so this is the last point where one can be held back.
    """

    async def download_request(self, request: Request) -> Response:
        if getattr(self._crawler.spider, "blocked", False):
            raise IgnoreRequest("not sent: the host is answering with challenges")
        return await super().download_request(request)
