"""The one spider: walks a site's list pages and fetches its articles, as its profile describes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import Settings
from twisted.python.failure import Failure

from archive import open_archive
from archive.query import has_finished_backfill, known_article_urls
from archive.records import PageKind
from crawler.extract.article import ArticleExtractor
from crawler.extract.listing import ListExtractor
from crawler.extract.pool import ExtractionPool, default_workers
from crawler.items import PageItem
from crawler.listwalk import ListWalk
from crawler.observe import Fetched, Observer
from crawler.profile import SiteProfile
from crawler.summary import STATS
from crawler.urls import SiteUrls

# Every status reaches the callbacks (a 404 is a capture too) except redirects, which Scrapy follows.
HANDLED_STATUSES = [304, *range(400, 600)]


class NewsSpider(Spider):
    """Spider arguments: base_url (fetch from another origin), full (audit: re-walk, re-fetch all),
    url (fetch this one article only)."""

    profile: ClassVar[SiteProfile]

    @classmethod
    def for_profile(cls, profile: SiteProfile) -> type[NewsSpider]:
        """A spider class named after the profile, carrying its politeness as custom settings."""
        attributes = {
            "name": profile.name,
            "profile": profile,
            "custom_settings": dict(profile.settings),
        }
        return type(f"{profile.name.title()}Spider", (cls,), attributes)

    @classmethod
    def handles(cls, url: str) -> bool:
        return SiteUrls(cls.profile).is_own(url)

    def __init__(
        self,
        *args: Any,
        base_url: str | None = None,
        full: Any = False,
        url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.urls = SiteUrls(self.profile, base_url)
        self.full = str(full).lower() in ("1", "true", "yes")
        self.single_url = self.urls.check_fetchable(url) if url else None
        self.lists = ListExtractor(self.profile, self.urls)
        self.extraction = ExtractionPool(ArticleExtractor(self.profile, self.urls), base_url, 0)
        self.observer = Observer(self.profile, self.extraction.read)
        self.known: set[str] = set()
        self.walk = ListWalk(self.profile.listing.paths, incremental=False)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._read_archive_state(crawler.settings)
        if not spider.single_url:
            spider._start_extraction_workers(crawler.settings)
        crawler.signals.connect(spider.opened, signal=signals.spider_opened)
        return spider

    def _start_extraction_workers(self, settings: Settings) -> None:
        workers = settings.get("NEWSARCHIVE_EXTRACT_WORKERS")
        count = default_workers() if workers in (None, "auto") else int(workers)
        extractor = self.extraction.extractor
        self.extraction = ExtractionPool(extractor, self.urls.base, count)
        self.observer = Observer(self.profile, self.extraction.read)

    def _read_archive_state(self, settings: Settings) -> None:
        """Known articles and whether a backfill finished: an incremental crawl needs both."""
        archive = open_archive(settings.get("NEWSARCHIVE_DB"))
        try:
            self.known = known_article_urls(archive, self.profile.name)
            incremental = not self.full and has_finished_backfill(archive, self.profile.name)
        finally:
            archive.close()
        stop_after = settings.getint(
            "NEWSARCHIVE_STOP_AFTER_KNOWN_PAGES", self.profile.listing.stop_after_known_pages
        )
        self.walk = ListWalk(
            self.profile.listing.paths, incremental=incremental, stop_after=stop_after
        )

    async def start(self) -> AsyncIterator[Request]:
        if self.single_url:
            yield self._article_request(self.single_url)
            return
        for path in self.profile.listing.paths:
            yield self._list_request(path, 0)

    def parse_list(
        self, response: Response, path: str, number: int
    ) -> Iterator[Request | PageItem]:
        fetched: Fetched = response.meta["fetched"]
        observation = self.observer.listing(fetched, response)
        if response.status != 200:
            self._count("list_pages_failed")
            yield PageItem(observation)
            return
        page = self.lists.read(response.body, _content_type(response), fetched.url)
        articles = [entry.url for entry in page.articles(self.urls)]
        self._count_list_page(page.template, len(articles))
        yield PageItem(observation, listed_urls=tuple(articles))
        for url in dict.fromkeys(articles):
            if self.full or url not in self.known:
                yield self._article_request(url)
        for next_number in self.walk.next_pages(
            path, number, page.total_pages, articles, self.known
        ):
            yield self._list_request(path, next_number)
        if self.crawler.stats is not None:
            self.crawler.stats.set_value(f"{STATS}/list_walk_complete", self.walk.complete)

    async def parse_article(self, response: Response) -> AsyncIterator[PageItem]:
        yield PageItem(await self.observer.article(response.meta["fetched"], response))

    def opened(self) -> None:
        """Start extraction workers with the crawl, so they import while list pages download."""
        self.extraction.start()

    def closed(self, reason: str) -> None:
        self.extraction.close()

    def on_error(self, failure: Failure) -> Iterator[PageItem]:
        fetched: Fetched = failure.request.meta["fetched"]  # type: ignore[attr-defined]
        if failure.check(IgnoreRequest):
            # Not fetched at all (robots.txt forbids it): no capture, and not an error.
            self._count("skipped")
            self.logger.info("%s not fetched: %s", fetched.requested_url, failure.getErrorMessage())
            return
        if fetched.kind is PageKind.LIST:
            self._count("list_pages_failed")
        self.logger.warning("%s failed: %s", fetched.requested_url, failure.getErrorMessage())
        yield PageItem(self.observer.failure(fetched, failure))

    def _list_request(self, path: str, number: int) -> Request:
        url = self.urls.list_page(path, number)
        fetched = Fetched(url=url, requested_url=self.urls.fetch_url(url), kind=PageKind.LIST)
        return Request(
            fetched.requested_url,
            callback=self.parse_list,
            errback=self.on_error,
            cb_kwargs={"path": path, "number": number},
            meta={"fetched": fetched, "handle_httpstatus_list": HANDLED_STATUSES},
            # Newest list pages first: page n gets priority -n.
            priority=-number,
        )

    def _article_request(self, url: str) -> Request:
        fetched = Fetched(
            url=url,
            requested_url=self.urls.fetch_url(url),
            kind=PageKind.ARTICLE,
            doc_id=self.urls.doc_id(url),
        )
        self._count("articles_requested")
        return Request(
            fetched.requested_url,
            callback=self.parse_article,
            errback=self.on_error,
            meta={"fetched": fetched, "handle_httpstatus_list": HANDLED_STATUSES},
            # Articles before further list pages, so a stopped run has archived what it saw.
            priority=10,
        )

    def _count_list_page(self, template: str | None, articles: int) -> None:
        self._count("list_pages")
        self._count(f"list_template/{template or 'none'}")
        if template is None:
            self.logger.error("no list template of %s matched a list page", self.profile.name)
        self._count("list_entries", articles)

    def _count(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"{STATS}/{key}", count)


def _content_type(response: Response) -> str | None:
    value = response.headers.get("Content-Type")
    return value.decode("latin-1") if value else None
