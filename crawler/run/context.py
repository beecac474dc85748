"""What one crawl knows, set up before its first request and shared by its components.

The spider builds it when Scrapy creates the spider; pipelines, the download handler and the
extensions read it (crawler.context), never the spider's own attributes. Everything that can stop
a crawl before it starts — a bad argument or setting, an archive that cannot be opened, the lock
held by another crawl, a page to re-check that is not archived — is a refusal: one sentence and
an exit code, logged and reported, with nothing written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from archive.clock import Clock, system_clock
from archive.database import Archive
from archive.errors import NotArchived, Untracked
from archive.query import known_article_urls, untracked_urls
from archive.runs import RunArguments
from crawler.plan.crawl import CrawlPlan, plan_crawl, plan_recheck
from crawler.plan.options import Options, Settings
from crawler.run.exits import EXIT_ERRORS, EXIT_USAGE, CrawlRefused, Refusal
from crawler.run.session import LOCKED_COMMANDS, Session, open_session
from crawler.run.store import clock_from
from crawler.sites.profile import SiteProfile
from crawler.sites.resolve import copied_article
from crawler.sites.urls import SiteUrls, UrlError, check_http

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class CrawlRequest:
    """What the crawl was asked to do (the spider's arguments): crawl the column, fetch one
    page (`url`: an article of the site, or a mirror's copy of one), or re-check pages."""

    base_url: str | None = None
    full: bool = False
    url: str | None = None
    recheck: tuple[str, ...] = ()
    max_revisits: Any = None
    daily_budget: Any = None

    @classmethod
    def from_arguments(cls, **arguments: Any) -> CrawlRequest:
        """From spider arguments as `scrapy crawl -a` gives them: text."""
        recheck = arguments.get("recheck") or ()
        return cls(
            base_url=arguments.get("base_url") or None,
            full=str(arguments.get("full", "")).lower() in ("1", "true", "yes"),
            url=arguments.get("url") or None,
            recheck=tuple(recheck.split() if isinstance(recheck, str) else recheck),
            max_revisits=arguments.get("max_revisits"),
            daily_budget=arguments.get("daily_budget"),
        )

    @property
    def command(self) -> str:
        return "fetch" if self.url else "recheck" if self.recheck else "crawl"


@dataclass
class CrawlContext:
    """The crawl's site, request, clock, options, archive session and plan, and what the crawl
    learns as it goes (the URLs the list pages showed, whether the host blocked it)."""

    profile: SiteProfile
    request: CrawlRequest
    urls: SiteUrls
    clock: Clock = system_clock
    # When the crawl began, by its clock: what its plan and its listing are timed by.
    started_at: datetime | None = None
    options: Options | None = None
    session: Session | None = None
    plan: CrawlPlan = field(default_factory=CrawlPlan)
    # The page a fetch asks for (canonical), and the mirror URL it is copied at, if a copy.
    target: str | None = None
    copy_url: str | None = None
    refusal: Refusal | None = None
    # Every article URL the list pages showed in this crawl: who is listed, and who is not.
    listed_urls: set[str] = field(default_factory=set)
    # Set when the host blocks the crawler: requests still queued are then never sent.
    blocked: bool = False
    # Set at the first response of any kind: until then, a request that got no answer says
    # nothing about its page (the whole site may be out of reach: a typo, no network).
    site_answered: bool = False

    @property
    def command(self) -> str:
        return self.request.command

    @property
    def archive(self) -> Archive:
        assert self.session is not None, "a refused crawl has no archive"
        return self.session.archive

    def arguments(self) -> RunArguments:
        """What the run records it was asked to do."""
        return RunArguments(
            command=self.command,
            site=self.profile.name,
            base_url=self.request.base_url,
            full=self.request.full,
            url=self.target,
            recheck=self.request.recheck,
            max_revisits=self.options.max_revisits if self.options else None,
            list_walk="incremental" if self.plan.walk.incremental else "complete",
        )

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


def open_crawl(
    settings: Settings, profile: SiteProfile, request: CrawlRequest, db_url: str | None
) -> CrawlContext:
    """The crawl's context; a crawl that must not start gets one with its refusal and no archive."""
    context = CrawlContext(profile, request, SiteUrls(profile))
    try:
        _prepare(context, settings, db_url)
    except CrawlRefused as refused:
        context.close()
        context.refusal = refused.refusal
        logger.info("The %s of %s did not start: %s", context.command, profile.name, refused)
    return context


@dataclass(frozen=True)
class Checked:
    """What a crawl's arguments resolve to: the site's URLs as fetched, the recheck URLs and
    the page a fetch asks for (canonical), with the mirror URL it is copied at, if a copy."""

    urls: SiteUrls
    recheck: tuple[str, ...] = ()
    target: str | None = None
    copy_url: str | None = None


def check_request(profile: SiteProfile, request: CrawlRequest, db_url: str | None) -> Checked:
    """The checks of what a crawl is asked that need no Scrapy and write nothing (so the command
    line makes them before starting Scrapy too): the base URL, the URLs to fetch, and, for a URL
    on another host, the archived article it copies. CrawlRefused says what is wrong."""
    urls = SiteUrls(profile, _base_url(request.base_url))
    if not profile.enabled and not request.url and not request.recheck:
        raise CrawlRefused(
            f"The profile {profile.name} knows no news column of its site yet (enabled = false): "
            "give its list paths and enable it, or fetch single pages.",
            EXIT_USAGE,
        )
    recheck = tuple(_fetchable(urls, url) for url in request.recheck)
    target = _own_target(urls, request.url)
    if request.url and target is None:
        return Checked(urls, recheck, _copied(profile, db_url, request.url), request.url.strip())
    return Checked(urls, recheck, target)


def _prepare(context: CrawlContext, settings: Settings, db_url: str | None) -> None:
    """Every check before anything is written, then the archive, the lock, and the plan."""
    request, profile = context.request, context.profile
    checked = check_request(profile, request, db_url)
    context.urls, context.target, context.copy_url = checked.urls, checked.target, checked.copy_url
    context.clock = _valid("NEWSARCHIVE_NOW", lambda: clock_from(settings.get("NEWSARCHIVE_NOW")))
    context.options = _valid(
        "",
        lambda: Options.from_settings(
            settings,
            profile.listing.stop_after_known_pages,
            request.max_revisits,
            request.daily_budget,
        ),
    )
    locked = context.command in LOCKED_COMMANDS
    context.session = open_session(db_url, profile.name, context.clock, locked=locked)
    context.started_at = context.clock()
    context.plan = _plan(context, checked.recheck)


def _plan(context: CrawlContext, recheck: tuple[str, ...]) -> CrawlPlan:
    assert context.options is not None
    if context.command == "fetch":
        return CrawlPlan(known=_archived_target(context))
    if context.command == "recheck":
        try:
            return plan_recheck(context.archive, recheck)
        except Untracked as exc:
            url = exc.url or ""
            raise CrawlRefused(
                f"{url} is untracked; to check it again, first: newsarchive track {url}",
                EXIT_USAGE,
            ) from None
        except NotArchived as exc:
            url = exc.url or ""
            raise CrawlRefused(
                f"{url} is not in the archive; archive it first with: newsarchive fetch {url}",
                EXIT_ERRORS,
            ) from None
    assert context.started_at is not None
    return plan_crawl(
        context.archive,
        context.profile,
        context.options,
        context.started_at,
        full=context.request.full,
    )


def _archived_target(context: CrawlContext) -> set[str]:
    """The page a fetch asks for, if archived (a fetch then records whatever it gets); a page an
    archivist untracked is not fetched at all."""
    target, site = context.target or "", context.profile.name
    if target in untracked_urls(context.archive, site):
        raise CrawlRefused(
            f"{target} is untracked; to fetch it again, first: newsarchive track {target}",
            EXIT_USAGE,
        )
    return {target} & known_article_urls(context.archive, site)


def _base_url(base_url: str | None) -> str | None:
    if base_url is None:
        return None
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CrawlRefused(
            f"The base URL {base_url!r} is not an http(s) origin like http://127.0.0.1:8000.",
            EXIT_USAGE,
        )
    return base_url


def _fetchable(urls: SiteUrls, url: str) -> str:
    try:
        return urls.check_fetchable(url)
    except UrlError as exc:
        raise CrawlRefused(str(exc), EXIT_USAGE) from None


def _own_target(urls: SiteUrls, url: str | None) -> str | None:
    """The canonical URL of a page to fetch on the site itself; None for another host's."""
    if url is None:
        return None
    try:
        check_http(url)
    except UrlError as exc:
        raise CrawlRefused(str(exc), EXIT_USAGE) from None
    return urls.canonical(url) if urls.is_own(url) else None


def _copied(profile: SiteProfile, db_url: str | None, url: str) -> str:
    """The archived article a URL on another host copies (same path); refused when there is none."""
    found = copied_article(url, db_url, [profile])
    if found is None:
        raise CrawlRefused(
            f"{url.strip()} is not on {profile.name} ({profile.origin}).", EXIT_USAGE
        )
    return found[1]


def _valid(name: str, read: Callable[[], T]) -> T:
    try:
        return read()
    except ValueError as exc:
        where = f"{name}: " if name else ""
        raise CrawlRefused(f"A setting is not valid: {where}{exc}.", EXIT_USAGE) from None
