"""Downloader middleware: retries that back off, honour Retry-After, and retry truncated bodies."""

from __future__ import annotations

import asyncio
import email.utils
import logging
from datetime import UTC, datetime
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.misc import load_object
from scrapy.utils.response import response_status_message

from crawler.observe import is_self_redirect
from crawler.run.summary import STATS

DELAY_KEY = "newsarchive_retry_delay"


class BackoffRetryMiddleware:
    """In place of Scrapy's RetryMiddleware, with the same settings (RETRY_ENABLED, RETRY_TIMES,
    RETRY_HTTP_CODES, RETRY_EXCEPTIONS, RETRY_PRIORITY_ADJUST, the `dont_retry` and
    `max_retry_times` meta keys), but a retry waits: RETRY_BACKOFF_BASE × 2^(n−1) seconds (at most
    RETRY_BACKOFF_MAX), or what the server's Retry-After asks (up to RETRY_AFTER_MAX). A body cut
    short of its Content-Length is retried like a server error, and so is a redirect to the same
    path (a redirect loop: the page itself is not moved). Waiting requests hold their
    concurrency slot, so a struggling host gets fewer requests, not just later ones."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.max_retry_times = settings.getint("RETRY_TIMES")
        self.retry_http_codes = {int(code) for code in settings.getlist("RETRY_HTTP_CODES")}
        self.priority_adjust = settings.getint("RETRY_PRIORITY_ADJUST")
        self.exceptions_to_retry = tuple(
            load_object(name) if isinstance(name, str) else name
            for name in settings.getlist("RETRY_EXCEPTIONS")
        )
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.ceiling = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 300.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        delay = request.meta.pop(DELAY_KEY, 0.0)
        if delay > 0:
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value(f"{STATS}/retry/waited_seconds", delay)
            await asyncio.sleep(delay)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False):
            return response
        reason = _retry_reason(request, response, self.retry_http_codes)
        if reason is None:
            return response
        return self._retry(request, reason, response) or response

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if request.meta.get("dont_retry", False):
            return None
        if not isinstance(exception, self.exceptions_to_retry):
            return None
        return self._retry(request, exception, None)

    def _retry(
        self, request: Request, reason: str | Exception, response: Response | None
    ) -> Request | None:
        assert self.crawler.spider is not None
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=reason,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
            # A request that got no answer is said once, by the archive pipeline, when it
            # knows whether the whole site was out of reach; an HTTP error is said here.
            give_up_log_level=logging.DEBUG if response is None else logging.ERROR,
        )
        if retry is not None:
            retry.meta[DELAY_KEY] = self._delay(retry, response)
        return retry

    def _delay(self, retry: Request, response: Response | None) -> float:
        asked = _retry_after(response) if response is not None else None
        if asked is not None:
            return min(asked, self.retry_after_max)
        attempt = int(retry.meta.get("retry_times", 1))
        backoff: float = self.base * 2 ** (attempt - 1)
        return min(backoff, self.ceiling)


def _retry_reason(request: Request, response: Response, retry_codes: set[int]) -> str | None:
    if "dataloss" in response.flags:
        return "truncated body"
    if response.status in retry_codes:
        return response_status_message(response.status)
    if is_self_redirect(request.url, response):
        return "redirect loop"
    return None


def _retry_after(response: Response) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
