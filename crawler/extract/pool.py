"""Article extraction in worker processes, so parsing runs beside Scrapy's single thread."""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Collection
from dataclasses import replace

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
    """Reads article pages in `workers` processes, or in this process.

    The workers start once `start_after` pages have been read here: a crawl that reads a few pages
    (a daily increment) never pays for starting processes, one that reads thousands soon has
    them. Workers load the profile by name (a profile holds compiled patterns, which do not
    pickle), so they read the same profile files. A worker that dies is dropped with a warning
    and its page is read inline: a crawl never stops for it.
    """

    def __init__(
        self,
        extractor: ArticleExtractor,
        base_url: str | None,
        workers: int,
        start_after: int,
        known: Collection[str] = (),
    ) -> None:
        self.extractor = extractor
        self.base_url = base_url
        self.wanted = workers
        self.start_after = start_after
        self.known = known
        self.read_here = 0
        self.workers: list[WorkerProcess] | None = None

    async def read(self, body: bytes, content_type: str | None, url: str) -> ArticleReading:
        """The page read and its record cleaned: both CPU work, done by a worker when there is one.

        An article already archived (`known`) gets no similarity fingerprint: a re-check finds
        it unchanged far more often than not, and the archive computes one when it did change."""
        if self.workers is None and self.wanted and self.read_here >= self.start_after:
            self._start_workers()
        fingerprinted = url not in self.known
        if not self.workers:
            self.read_here += 1
            return read_and_clean(self.extractor, body, content_type, url, fingerprinted)
        worker = min(self.workers, key=lambda w: w.load)
        try:
            reading: ArticleReading = await worker.call(body, content_type, url, fingerprinted)
        except WorkerDied as exc:
            logger.warning("%s; reading pages in the crawler process instead", exc)
            self.workers.remove(worker)
            return read_and_clean(self.extractor, body, content_type, url, fingerprinted)
        return reading

    def close(self) -> None:
        for worker in self.workers or ():
            worker.close()
        self.workers = []

    def _start_workers(self) -> None:
        """Needs the running event loop (Scrapy's asyncio reactor)."""
        self.workers = [self._start(number) for number in range(self.wanted)]
        logger.info("Reading pages in %d extraction worker processes from now on", self.wanted)

    def _start(self, number: int) -> WorkerProcess:
        arguments = (self.extractor.profile.name, self.base_url)
        return WorkerProcess(_reader, arguments, name=f"newsarchive-extract-{number}")


def _reader(profile_name: str, base_url: str | None) -> Callable[..., ArticleReading]:
    """Runs in the worker: read and clean with the named profile."""
    profile = load_profile(profile_name)
    extractor = ArticleExtractor(profile, SiteUrls(profile, base_url))
    return lambda body, content_type, url, fingerprinted: _sent_once(
        read_and_clean(extractor, body, content_type, url, fingerprinted)
    )


def _sent_once(reading: ArticleReading) -> ArticleReading:
    """The reading with its cleaned record in place of the one read, so the record crosses the
    pipe once: the cleaning pipeline puts the cleaned record there anyway, and the fields
    cleaning changes (title, body, bylines) are not the ones read before it (files, rules)."""
    if reading.extracted is None or reading.cleaned is None:
        return reading
    return replace(reading, extracted=replace(reading.extracted, record=reading.cleaned.record))
