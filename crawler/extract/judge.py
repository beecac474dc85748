"""The verdict on an HTTP answer, wherever it came from (a crawl's response, a WARC record): the
one place that decides what a fetched article, list page or file comes to, and the observation
the archive records of it. Scrapy-free: crawler.observe adapts Scrapy's responses to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from archive.records import Extracted, Observation, Outcome, PageKind
from crawler.extract.sniff import media_type
from crawler.sites.profile import SiteProfile
from crawler.sites.urls import SiteUrls

NOT_FOUND_STATUSES = frozenset({404, 410})
# 412 and 521 with a tiny JavaScript body are anti-bot challenges on gov.cn hosts; 403 is a refusal.
BLOCKED_STATUSES = frozenset({403, 412, 521})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = ("text/html", "application/xhtml+xml")
SHORT = "the body is shorter than its Content-Length"

# Reads an article page: (body, Content-Type, canonical URL) -> a reading with its record.
Reader = Callable[[bytes, str | None, str], Awaitable[Any]]


@dataclass(frozen=True)
class Fetched:
    """A request's identity in the archive: its canonical URL and the URL actually requested."""

    url: str
    requested_url: str
    kind: PageKind
    doc_id: str | None = None


@dataclass(frozen=True)
class Answer:
    """An HTTP answer as the archive sees it: status, headers as received, the body, and
    whether the body came short of its Content-Length."""

    status: int
    headers: Sequence[tuple[str, str]]
    body: bytes
    final_url: str
    truncated: bool = False

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


@dataclass(frozen=True)
class Judgement:
    verdict: Outcome
    extracted: Extracted | None = None
    error: str | None = None
    moved_to: str | None = None
    cleaned: Any = None
    # For an article page that was read (not a soft 404): the profile's rules that missed.
    rules_missed: tuple[str, ...] | None = None


class Judge:
    """Judges the answers of one site's pages."""

    def __init__(self, urls: SiteUrls, read: Reader) -> None:
        self.urls = urls
        self.read = read

    async def article(self, fetched: Fetched, answer: Answer) -> Judgement:
        """Content with its record, or the reason an article page is not content."""
        if answer.status in REDIRECT_STATUSES:
            return self.redirect(fetched, answer)
        if answer.status != 200:
            return Judgement(status_verdict(answer.status), error=status_error(answer.status))
        if answer.truncated:
            return Judgement(Outcome.TRUNCATED, error=SHORT)
        content_type = answer.header("Content-Type")
        if not is_html(content_type):
            return Judgement(
                Outcome.ERROR, error=f"not an HTML page: {content_type or 'no Content-Type'}"
            )
        try:
            reading = await self.read(answer.body, content_type, fetched.url)
        except Exception as exc:  # a page that breaks the parser is still a capture
            return Judgement(Outcome.ERROR, error=f"the page could not be read: {exc}")
        missed = reading.rules_missed
        if reading.extracted is not None:
            return Judgement(
                Outcome.CONTENT, reading.extracted, cleaned=reading.cleaned, rules_missed=missed
            )
        if reading.is_soft_404:
            return Judgement(Outcome.SOFT_404, error=reading.problem)
        verdict = Outcome.TRUNCATED if reading.is_incomplete else Outcome.ERROR
        return Judgement(verdict, error=reading.problem, rules_missed=missed)

    def redirect(self, fetched: Fetched, answer: Answer) -> Judgement:
        """A redirect to another article is a move; to anything else (the home page) it is not."""
        target = self.redirect_target(fetched, answer)
        if target is None or target == fetched.url:
            return Judgement(Outcome.ERROR, error=f"HTTP {answer.status} redirects nowhere new")
        if is_self_redirect(fetched.requested_url, answer.status, answer.header("Location")):
            return Judgement(Outcome.ERROR, error=f"HTTP {answer.status} redirects in a loop")
        if self.urls.is_article(target) and not self.urls.is_attachment(target):
            return Judgement(Outcome.MOVED, moved_to=target)
        return Judgement(Outcome.REDIRECTED, error=f"redirected to {target}")

    def redirect_target(self, fetched: Fetched, answer: Answer) -> str | None:
        """The canonical URL a redirect points to, if it has a Location."""
        location = answer.header("Location")
        if answer.status not in REDIRECT_STATUSES or not location:
            return None
        return self.urls.canonical(location, fetched.url)


def listing(answer: Answer) -> Judgement:
    """A list page: read (LISTING) or why not."""
    if answer.truncated:
        return Judgement(Outcome.TRUNCATED, error=SHORT)
    if answer.status == 200:
        return Judgement(Outcome.LISTING)
    return Judgement(status_verdict(answer.status), error=status_error(answer.status))


def file(answer: Answer, refused: str | None) -> Judgement:
    """A file: its bytes whole (FILE), or why not (refused, short, a 304, a 404 …)."""
    if refused is not None:
        return Judgement(Outcome.REJECTED, error=refused)
    if answer.truncated:
        return Judgement(Outcome.TRUNCATED, error=SHORT)
    if answer.status == 200:
        return Judgement(Outcome.FILE)
    return Judgement(status_verdict(answer.status), error=status_error(answer.status))


def observation(
    profile: SiteProfile,
    fetched: Fetched,
    answer: Answer,
    judgement: Judgement,
    at: datetime,
    referrer: str | None = None,
) -> Observation:
    """What the archive records of a judged answer. Only a file received whole keeps its
    bytes as a file; every answer of a page does (a 404's page too), but a 304's has none."""
    is_file = fetched.kind is PageKind.FILE
    keep = judgement.verdict is Outcome.FILE if is_file else answer.status != 304
    return Observation(
        site=profile.name,
        site_origin=profile.origin,
        url=fetched.url,
        kind=fetched.kind,
        requested_url=fetched.requested_url,
        final_url=answer.final_url,
        fetched_at=at,
        verdict=judgement.verdict,
        status=answer.status,
        headers=list(answer.headers),
        payload=answer.body if keep else None,
        error=judgement.error,
        extracted=judgement.extracted,
        doc_id=fetched.doc_id,
        moved_to=judgement.moved_to,
        referrer=referrer,
        media_type=media_type(answer.body) if is_file and answer.status == 200 else None,
    )


def status_verdict(status: int) -> Outcome:
    if status == 304:
        return Outcome.NOT_MODIFIED
    if status in NOT_FOUND_STATUSES:
        return Outcome.NOT_FOUND
    if status in BLOCKED_STATUSES:
        return Outcome.BLOCKED
    return Outcome.ERROR


def status_error(status: int) -> str | None:
    return None if status in (200, 304) else f"HTTP {status}"


def is_html(content_type: str | None) -> bool:
    """Whether a Content-Type is a web page's."""
    # A missing Content-Type is common on old CMS hosts; the bytes decide then.
    return content_type is None or content_type.split(";")[0].strip().lower() in HTML_TYPES


def is_self_redirect(url: str, status: int, location: str | None) -> bool:
    """A redirect to the same URL but for its query: a loop, or cache busting, not a move.
    (A change of scheme or host is a move of the whole site, and is judged as a redirect.)"""
    if status not in REDIRECT_STATUSES or not location:
        return False
    target = urlsplit(urljoin(url, location))
    source = urlsplit(url)
    return (target.scheme, target.netloc, target.path or "/") == (
        source.scheme,
        source.netloc,
        source.path or "/",
    )
