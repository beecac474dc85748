"""Downloader middleware: retries that back off, honour Retry-After, and retry truncated bodies."""

from __future__ import annotations

import asyncio
import email.utils
from datetime import UTC, datetime
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings

from crawler.observe import is_self_redirect
from crawler.summary import STATS

DELAY_KEY = "newsarchive_retry_delay"


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, but a retry waits: RETRY_BACKOFF_BASE × 2^(n−1) seconds (at most
    RETRY_BACKOFF_MAX), or what the server's Retry-After asks (up to RETRY_AFTER_MAX). A body cut
    short of its Content-Length is retried like a server error, and so is a redirect to the same
    path (a redirect loop: the page itself is not moved). Waiting requests hold their
    concurrency slot, so a struggling host gets fewer requests, not just later ones."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.ceiling = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 300.0)

    async def process_request(self, request: Request) -> None:
        delay = request.meta.pop(DELAY_KEY, 0.0)
        if delay > 0:
            self._stats().inc_value(f"{STATS}/retry/waited_seconds", delay)
            await asyncio.sleep(delay)

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False):
            return response
        reason = _retry_reason(request, response, self.retry_http_codes)
        if reason is not None:
            retry = self._retry(request, reason)
            if retry is None:
                return response
            retry.meta[DELAY_KEY] = self._delay(retry, response)
            return retry
        return response

    def process_exception(
        self, request: Request, exception: Exception, spider: Any = None
    ) -> Request | Response | None:
        retry = super().process_exception(request, exception)
        if isinstance(retry, Request):
            retry.meta[DELAY_KEY] = self._delay(retry, None)
        return retry

    def _delay(self, retry: Request, response: Response | None) -> float:
        asked = _retry_after(response) if response is not None else None
        if asked is not None:
            return min(asked, self.retry_after_max)
        attempt = int(retry.meta.get("retry_times", 1))
        return min(self.base * 2 ** (attempt - 1), self.ceiling)

    def _stats(self) -> Any:
        return self.crawler.stats


def _retry_reason(request: Request, response: Response, retry_codes: set[int]) -> str | None:
    if "dataloss" in response.flags:
        return "truncated body"
    if response.status in retry_codes:
        return f"HTTP {response.status}"
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
