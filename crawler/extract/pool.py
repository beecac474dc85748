"""Article extraction in worker processes, so parsing runs beside Scrapy's single thread."""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable

from crawler.extract.article import ArticleExtractor, ArticleReading
from crawler.extract.record import read_and_clean
from crawler.run.workers import WorkerDied, WorkerProcess
from crawler.sites.profile import load_profile
from crawler.sites.urls import SiteUrls

logger = logging.getLogger(__name__)
Reader = Callable[[bytes, str | None, str], Awaitable[ArticleReading]]


def default_workers() -> int:
    """One worker per core beyond the one Scrapy runs on, at most four."""
    return max(0, min(4, (os.cpu_count() or 1) - 1))


class ExtractionPool:
    """Reads article pages in `workers` processes (started on first use), or inline with 0.

    Workers load the profile by name (a profile holds compiled patterns, which do not pickle), so
    they read the same profile files. A worker that dies is dropped with a warning and its page is
    read inline: a crawl never stops for it.
    """

    def __init__(self, extractor: ArticleExtractor, base_url: str | None, workers: int) -> None:
        self.extractor = extractor
        self.base_url = base_url
        self.wanted = workers
        self.workers: list[WorkerProcess] | None = None

    def start(self) -> None:
        """Start the workers (needs the running event loop); reading starts them if not yet."""
        if self.workers is None:
            self.workers = [self._start(number) for number in range(self.wanted)]

    async def read(self, body: bytes, content_type: str | None, url: str) -> ArticleReading:
        """The page read and its record cleaned: both CPU work, done by a worker when there is one."""
        self.start()
        assert self.workers is not None
        if not self.workers:
            return read_and_clean(self.extractor, body, content_type, url)
        worker = min(self.workers, key=lambda w: w.load)
        try:
            reading: ArticleReading = await worker.call(body, content_type, url)
        except WorkerDied as exc:
            logger.warning("%s; reading pages in the crawler process instead", exc)
            self.workers.remove(worker)
            return read_and_clean(self.extractor, body, content_type, url)
        return reading

    def close(self) -> None:
        for worker in self.workers or ():
            worker.close()
        self.workers = []

    def _start(self, number: int) -> WorkerProcess:
        arguments = (self.extractor.profile.name, self.base_url)
        return WorkerProcess(_reader, arguments, name=f"newsarchive-extract-{number}")


def _reader(profile_name: str, base_url: str | None) -> Callable[..., ArticleReading]:
    """Runs in the worker: read and clean with the named profile."""
    profile = load_profile(profile_name)
    extractor = ArticleExtractor(profile, SiteUrls(profile, base_url))
    return lambda body, content_type, url: read_and_clean(extractor, body, content_type, url)
