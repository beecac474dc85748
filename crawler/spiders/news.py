"""The one spider: walks a site's list pages, fetches new articles and re-checks known ones."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DownloadCancelledError, IgnoreRequest, StopDownload
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.internet.defer import CancelledError
from twisted.python.failure import Failure

from archive.records import Observation, Outcome, PageKind
from crawler.extract.article import ArticleExtractor
from crawler.extract.copies import CopyExtractor
from crawler.extract.judge import Judgement
from crawler.extract.listing import ListExtractor
from crawler.extract.pool import ExtractionPool, default_workers
from crawler.extract.record import read_and_clean
from crawler.extract.sniff import media_type
from crawler.items import PageItem
from crawler.observe import BLOCKED_STATUSES, REDIRECT_STATUSES, Fetched, Observer, is_html
from crawler.plan.crawl import CrawlPlan
from crawler.plan.files import FilePlan, FilePolicy, FileRef, references
from crawler.plan.revisits import DuePage
from crawler.run.context import CrawlContext, CrawlRequest, open_crawl
from crawler.run.exits import EXIT_ERRORS, EXIT_REFUSED, EXIT_USAGE, Refusal
from crawler.run.summary import BLOCKED, NOT_STARTED, STATS
from crawler.sites.profile import SiteProfile
from crawler.sites.urls import SiteUrls

# Every status reaches the callbacks: a 404 is a capture too. Redirects are not followed: an
# article's is a move, seen and recorded; a list page's is a failure of that page.
LIST_STATUSES = [*REDIRECT_STATUSES, *range(400, 600)]
ARTICLE_STATUSES = [304, *REDIRECT_STATUSES, *range(400, 600)]
# Newest list pages first (page n gets -n); new articles before re-checks; both before deeper
# list pages, so a stopped run has archived what it saw. An article's files come right after it.
NEW_ARTICLE_PRIORITY = 10
FILE_PRIORITY = 7
REVISIT_PRIORITY = 5
FILE_STATUSES = [304, *REDIRECT_STATUSES, *range(400, 600)]
# What a new page may answer for a while without being missing: tried again later, not refused.
TRANSIENT = frozenset({Outcome.ERROR, Outcome.BLOCKED, Outcome.TRUNCATED})


class NewsSpider(Spider):
    """Arguments (`scrapy crawl SITE -a NAME=VALUE`): base_url (fetch from another origin, same
    paths); full (audit: every list page, every article, unconditionally); url (fetch one page:
    an article of the site, or a mirror's copy of an archived one); recheck (archived pages to
    check now, space-separated); max_revisits (at most this many scheduled checks)."""

    profile: ClassVar[SiteProfile]
    context: CrawlContext

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

    def __init__(self, *args: Any, **arguments: Any) -> None:
        super().__init__(*args, **arguments)
        self.request = CrawlRequest.from_arguments(**arguments)
        self.challenges_in_a_row = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._configure(crawler.settings)
        crawler.signals.connect(spider.opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.answered, signal=signals.response_received)
        crawler.signals.connect(spider.file_headers, signal=signals.headers_received)
        crawler.signals.connect(spider.context.close, signal=signals.engine_stopped)
        return spider

    def _configure(self, settings: BaseSettings) -> None:
        self.context = open_crawl(
            settings, self.profile, self.request, settings.get("NEWSARCHIVE_DB")
        )
        urls = self.context.urls
        self.lists = ListExtractor(self.profile, urls)
        self.extractor = ArticleExtractor(self.profile, urls)
        self.copies = CopyExtractor(self.profile)
        workers = _worker_count(settings) if self.context.command == "crawl" else 0
        start_after = settings.getint("NEWSARCHIVE_WORKERS_AFTER")
        self.extraction = ExtractionPool(
            self.extractor, self.request.base_url, workers, start_after, self.plan.known
        )
        self.observer = Observer(self.profile, urls, self.extraction.read, self.context.clock)
        fetch_files = (
            self.profile.files.fetch
            and settings.getbool("NEWSARCHIVE_FILES", True)
            and self.context.refusal is None  # a refused crawl has no archive to ask
        )
        policy = FilePolicy(self.profile.files, urls, settings.getint("NEWSARCHIVE_FILE_MAXSIZE"))
        options = self.context.options
        recheck = options.file_recheck_every if options is not None else timedelta(0)
        self.files = (
            FilePlan(self.context.archive, policy, recheck, self.context.clock)
            if fetch_files
            else None
        )

    def opened(self) -> None:
        """A crawl that must not start stops here, before any request."""
        if self.context.refusal is not None:
            self._set("refusal", self.context.refusal)
            raise CloseSpider(NOT_STARTED)
        self._count_plan()

    def answered(self) -> None:
        """A response came (robots.txt included): the site can be reached."""
        self.context.site_answered = True

    def closed(self, reason: str) -> None:
        self.extraction.close()

    @property
    def plan(self) -> CrawlPlan:
        return self.context.plan

    async def start(self) -> AsyncIterator[Request]:
        context = self.context
        if context.refusal is not None:
            return
        if context.copy_url and context.target:
            yield self._copy_request(context.target, context.copy_url)
            return
        if context.target:
            yield self._article_request(context.target)
            return
        if context.command == "crawl":
            for path in self.profile.listing.paths:
                yield self._list_request(path, 0)
        for page in self.plan.revisits.pages:
            yield self._revisit_request(page)

    def parse_list(
        self, response: Response, path: str, number: int
    ) -> Iterator[Request | PageItem]:
        fetched: Fetched = response.meta["fetched"]
        walk = self.plan.walk
        if response.status != 200 or "dataloss" in response.flags:
            # A list page cut short would end the walk early: it counts as not read at all.
            self._count("list_pages_failed")
            walk.page_failed(path, number)
            yield PageItem(self.observer.listing(fetched, response))
            self._watch_challenges(response, stop_now=True)
            return
        page = self.lists.read(response.body, _content_type(response), fetched.url)
        articles = [entry.url for entry in page.articles(self.context.urls)]
        self._count_list_page(fetched.requested_url, page.template, len(articles))
        yield PageItem(self.observer.listing(fetched, response))
        self.context.listed_urls.update(articles)
        for url in dict.fromkeys(articles):
            if url not in self.plan.untracked and (self.request.full or url not in self.plan.known):
                yield self._article_request(url)
        listed = page.articles(self.context.urls)
        for due in self.plan.listed_changes(self.context.archive, self.profile.name, listed):
            self._count("revisits_listed")
            yield self._revisit_request(due)
        for next_number in walk.next_pages(
            path, number, page.total_pages, articles, self.plan.known
        ):
            yield self._list_request(path, next_number)

    async def parse_article(self, response: Response) -> AsyncIterator[Request | PageItem]:
        if self.context.target and response.status == 200 and not is_html(_content_type(response)):
            content_type = _content_type(response) or "no Content-Type"
            self._refuse(f"{response.url} is not an HTML page ({content_type}).")
            return
        observation, judgement = await self.observer.article(response.meta["fetched"], response)
        if self._fetched_nothing_to_keep(observation):
            return
        self._count_reading(judgement)
        yield PageItem(observation, cleaned=judgement.cleaned)
        self._watch_challenges(response)
        if observation.moved_to:
            yield self._article_request(observation.moved_to)
        for follow in self._files_of(observation):
            yield follow

    def _files_of(self, observation: Observation) -> Iterator[Request | PageItem]:
        """The files an article names, when it was read (its record's) or confirmed unchanged
        (its archived version's): each asked for once a run; one on another host recorded."""
        if self.files is None:
            return
        if observation.extracted is not None:
            refs = references(observation.extracted.record)
        elif observation.verdict is Outcome.NOT_MODIFIED:
            refs = self.files.of_article(observation.url)
        else:
            return
        for ref in self.files.new(refs):
            reason = self.files.policy.offsite(ref.url)
            if reason is None and self.plan.conditional and not self.files.due(ref.url):
                self._count("files/not-due")  # held, checked within NEWSARCHIVE_FILE_RECHECK_EVERY
            elif reason is None:
                yield self._file_request(ref, observation.url)
            elif not self.files.refused_before(ref.url, reason):
                fetched = Fetched(url=ref.url, requested_url=ref.url, kind=PageKind.FILE)
                yield PageItem(self.observer.file_not_fetched(fetched, observation.url, reason))

    def file_headers(self, headers: Any, body_length: int, request: Request) -> None:
        """A file too big or of a type not taken is stopped once its headers came: its
        capture keeps the headers and the reason, not the bytes."""
        if self.files is None or "file_role" not in request.meta:
            return
        policy = self.files.policy
        declared = headers.get("Content-Type")
        content_type = declared.decode("latin-1") if declared else None
        reason = policy.too_big(body_length if body_length >= 0 else None)
        reason = reason or policy.type_refused(request.meta["fetched"].url, content_type)
        if reason is not None:
            request.meta["refused"] = reason
            raise StopDownload(fail=False)

    def parse_file(self, response: Response) -> Iterator[PageItem]:
        fetched: Fetched = response.meta["fetched"]
        refused = response.meta.get("refused")
        if refused is None and response.status == 200 and self.files is not None:
            # Taken when its extension, its declared type or the type its bytes are is one the
            # profile takes (a server may lie about the type; a URL may have no extension).
            declared, sniffed = _content_type(response), media_type(response.body)
            refused = self.files.policy.type_refused(fetched.url, declared, sniffed)
        yield PageItem(self.observer.file(fetched, response, response.meta["referrer"], refused))

    def parse_copy(self, response: Response) -> Iterator[PageItem]:
        fetched: Fetched = response.meta["fetched"]
        if response.status == 200 and self._is_the_site_itself(fetched, response):
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(response.url))
            self._refuse(
                f"{response.url} serves {self.profile.name}'s own pages (its template, its text "
                f"unchanged), not a copy; to archive it from there: newsarchive fetch "
                f"{fetched.url} --base-url {origin}.",
                EXIT_USAGE,
            )
            return
        extracted = (
            self.copies.read(response.body, _content_type(response))
            if response.status == 200
            else None
        )
        if extracted is None:
            # Nothing of it is ours to record: a failed copy says nothing about the original.
            self._count("copies_unreadable")
            self.logger.error(
                "%s (HTTP %s) holds no copy of %s", response.url, response.status, fetched.url
            )
            return
        yield PageItem(self.observer.copy(fetched, response, extracted))

    def _is_the_site_itself(self, fetched: Fetched, response: Response) -> bool:
        """Whether a page at another origin is the site's own page served there (a replica, a
        proxy): the profile's rules read a whole record from it, and its text needs no repair
        (a mirror's copy is in another template, or damaged)."""
        reading = read_and_clean(
            self.extractor, response.body, _content_type(response), fetched.url
        )
        if reading.extracted is None or reading.cleaned is None:
            return False
        provenance = reading.extracted.provenance
        read_by_rules = all(provenance.get(f, "none") != "none" for f in ("title", "published_at"))
        return read_by_rules and not reading.cleaned.repairs

    def on_error(self, failure: Failure) -> Iterator[PageItem]:
        request: Request = failure.request  # type: ignore[attr-defined]
        fetched: Fetched = request.meta["fetched"]
        if isinstance(failure.value, IgnoreRequest):
            # Not fetched at all (robots.txt forbids it): no capture, and not an error.
            self._count("skipped")
            self.logger.info("%s not fetched: %s", fetched.requested_url, failure.getErrorMessage())
            return
        cancelled = isinstance(failure.value, DownloadCancelledError | CancelledError)
        if fetched.kind is PageKind.FILE:
            yield self._file_failed(request, fetched, failure, cancelled)
            return
        if self.context.target and cancelled:
            cap = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
            self._refuse(
                f"{fetched.requested_url} is larger than the {cap:,}-byte download cap "
                "(DOWNLOAD_MAXSIZE)."
            )
            return
        if self.context.copy_url:
            self._count("copies_unreadable")
            self.logger.error("%s failed: %s", fetched.requested_url, failure.getErrorMessage())
            return
        if fetched.kind is PageKind.LIST:
            self._count("list_pages_failed")
            self.plan.walk.page_failed(request.cb_kwargs["path"], request.cb_kwargs["number"])
        # Said by the archive pipeline once it knows whether the site answers at all.
        self.logger.debug("%s failed: %s", fetched.requested_url, failure.getErrorMessage())
        yield PageItem(self.observer.failure(fetched, failure))

    def _file_failed(
        self, request: Request, fetched: Fetched, failure: Failure, cancelled: bool
    ) -> PageItem:
        """A file that got no whole answer: over the cap while it came, or a failed request."""
        referrer = request.meta["referrer"]
        if cancelled and self.files is not None:
            cap = self.files.policy.max_size
            reason = f"over the {cap:,}-byte cap for files (no size announced)"
            return PageItem(self.observer.file_not_fetched(fetched, referrer, reason))
        self.logger.error(
            "%s (a file of %s) failed: %s",
            fetched.requested_url,
            referrer,
            failure.getErrorMessage(),
        )
        return PageItem(replace(self.observer.failure(fetched, failure), referrer=referrer))

    def _watch_challenges(self, response: Response, *, stop_now: bool = False) -> None:
        """Stop the crawl politely when the host answers with anti-bot challenges: at once on a
        list page (the column itself is behind it), else after so many articles in a row. A
        crawler that keeps asking gets its ban extended."""
        if response.status not in BLOCKED_STATUSES:
            self.challenges_in_a_row = 0
            return
        self.challenges_in_a_row += 1
        limit = self.crawler.settings.getint("NEWSARCHIVE_STOP_AFTER_CHALLENGES", 3)
        if not stop_now and (limit <= 0 or self.challenges_in_a_row < limit):
            return
        what = "a list page" if stop_now else f"{self.challenges_in_a_row} articles in a row"
        self.logger.error(
            "%s answered %s with an anti-bot challenge (HTTP %d): the crawl stops rather than "
            "keep asking; try again later.",
            urlsplit(response.url).hostname,
            what,
            response.status,
        )
        self.context.blocked = True
        raise CloseSpider(BLOCKED)

    def _fetched_nothing_to_keep(self, observation: Observation) -> bool:
        """A fetch of a page not yet archived keeps it only if it is an article (or moved to
        one): the home page, a list page or a 404 would become a page every crawl re-checks."""
        context = self.context
        if observation.url != context.target or observation.url in self.plan.known:
            return False
        if observation.verdict in (Outcome.CONTENT, Outcome.MOVED):
            return False
        why = observation.error or f"HTTP {observation.status}"
        if observation.verdict in TRANSIENT and (observation.status or 0) != 200:
            self._refuse(f"{observation.requested_url} could not be fetched ({why}).", EXIT_ERRORS)
        else:
            self._refuse(f"{observation.requested_url} is not an article ({why}).")
        return True

    def _refuse(self, reason: str, exit_code: int = EXIT_REFUSED) -> None:
        """A fetch of a page the archive does not take: nothing is recorded, the user is told."""
        sentence = f"{reason} Nothing was archived."
        self.logger.info(sentence)
        self._set("refusal", Refusal(sentence, exit_code))

    def _file_request(self, ref: FileRef, referrer: str) -> Request:
        assert self.files is not None
        urls = self.context.urls
        fetched = Fetched(url=ref.url, requested_url=urls.fetch_url(ref.url), kind=PageKind.FILE)
        headers = self.files.validators(ref.url) if self.plan.conditional else {}
        return Request(
            fetched.requested_url,
            headers=headers,
            callback=self.parse_file,
            errback=self.on_error,
            meta={
                "fetched": fetched,
                "referrer": referrer,
                "file_role": ref.role,
                "handle_httpstatus_list": FILE_STATUSES,
                "dont_redirect": True,
                # Without a Content-Length, a file is cut off once past the cap.
                "download_maxsize": self.files.policy.max_size,
                **({"download_slot": self.profile.platform} if urls.is_own(ref.url) else {}),
            },
            priority=FILE_PRIORITY,
        )

    def _copy_request(self, original: str, copy_url: str) -> Request:
        fetched = Fetched(
            url=original,
            requested_url=copy_url,
            kind=PageKind.ARTICLE,
            doc_id=self.context.urls.doc_id(original),
        )
        return Request(
            copy_url, callback=self.parse_copy, errback=self.on_error, meta={"fetched": fetched}
        )

    def _list_request(self, path: str, number: int) -> Request:
        urls = self.context.urls
        url = urls.list_page(path, number)
        fetched = Fetched(url=url, requested_url=urls.fetch_url(url), kind=PageKind.LIST)
        return Request(
            fetched.requested_url,
            callback=self.parse_list,
            errback=self.on_error,
            cb_kwargs={"path": path, "number": number},
            meta={
                "fetched": fetched,
                "handle_httpstatus_list": LIST_STATUSES,
                "dont_redirect": True,
                "download_slot": self.profile.platform,
            },
            priority=-number,
        )

    def _article_request(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        priority: int = NEW_ARTICLE_PRIORITY,
    ) -> Request:
        urls = self.context.urls
        fetched = Fetched(
            url=url,
            requested_url=urls.fetch_url(url),
            kind=PageKind.ARTICLE,
            doc_id=urls.doc_id(url),
        )
        self._count("articles_requested")
        return Request(
            fetched.requested_url,
            headers=headers,
            callback=self.parse_article,
            errback=self.on_error,
            meta={
                "fetched": fetched,
                "handle_httpstatus_list": ARTICLE_STATUSES,
                "dont_redirect": True,
                # The platform's sites share one back end: one politeness budget for them all.
                "download_slot": self.profile.platform,
            },
            priority=priority,
        )

    def _revisit_request(self, page: DuePage) -> Request:
        """A scheduled check: conditional on the validators of the last capture, unless an audit."""
        headers = {}
        if self.plan.conditional and page.etag:
            headers["If-None-Match"] = page.etag
        if self.plan.conditional and page.last_modified:
            headers["If-Modified-Since"] = page.last_modified
        return self._article_request(page.url, headers=headers, priority=REVISIT_PRIORITY)

    def _count_plan(self) -> None:
        revisits = self.plan.revisits
        self._set("revisits_due", revisits.due)
        self._set("revisits_checked", len(revisits.pages))
        self._set("revisits_left", revisits.left)
        self._set("revisits_budget", revisits.budget)
        floor = revisits.floor
        self._set("revisits_floor_days", None if floor is None else floor / timedelta(days=1))
        self._set("list_walk", "incremental" if self.plan.walk.incremental else "complete")

    def _count_list_page(self, url: str, template: str | None, articles: int) -> None:
        self._count("list_pages")
        self._count(f"list_template/{template or 'none'}")
        if template is None:
            self.logger.error("%s: no list template of %s matched", url, self.profile.name)
        self._count("list_entries", articles)

    def _count_reading(self, judgement: Judgement) -> None:
        """What read an article page (the profile's rules, the fallback, nothing) and which of
        the profile's rules missed: what drift is judged on (crawler.run.drift)."""
        missed = judgement.rules_missed
        if missed is None:
            return
        self._count("extraction/read")
        if judgement.extracted is None:
            self._count("extraction/unreadable")
        else:
            self._count("extraction/fallback" if missed else "extraction/profile")
        for rule in missed:
            self._count(f"rule_missed/{rule}")

    def _count(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"{STATS}/{key}", count)

    def _set(self, key: str, value: Any) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.set_value(f"{STATS}/{key}", value)


def _worker_count(settings: BaseSettings) -> int:
    workers = settings.get("NEWSARCHIVE_EXTRACT_WORKERS")
    return default_workers() if workers in (None, "auto") else int(workers)


def _content_type(response: Response) -> str | None:
    value = response.headers.get("Content-Type")
    return value.decode("latin-1") if value else None
