"""Turning Scrapy responses and failures into archive observations, with a verdict on each."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.http import Response
from twisted.python.failure import Failure

from archive.clock import Clock, system_clock
from archive.records import Extracted, Observation, Outcome, PageKind
from crawler.extract.pool import Reader
from crawler.extract.sniff import media_type
from crawler.sites.profile import SiteProfile
from crawler.sites.urls import SiteUrls

NOT_FOUND_STATUSES = frozenset({404, 410})
# 412 and 521 with a tiny JavaScript body are anti-bot challenges on gov.cn hosts; 403 is a refusal.
BLOCKED_STATUSES = frozenset({403, 412, 521})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Fetched:
    """A request's identity in the archive: its canonical URL and the URL actually requested."""

    url: str
    requested_url: str
    kind: PageKind
    doc_id: str | None = None


@dataclass(frozen=True)
class Judgement:
    verdict: Outcome
    extracted: Extracted | None = None
    error: str | None = None
    moved_to: str | None = None
    cleaned: Any = None


class Observer:
    """Makes observations for one site; the only place that decides a response's verdict."""

    def __init__(
        self, profile: SiteProfile, urls: SiteUrls, read: Reader, clock: Clock = system_clock
    ) -> None:
        self.profile = profile
        self.urls = urls
        self.read = read
        self.clock = clock

    async def article(self, fetched: Fetched, response: Response) -> tuple[Observation, Any]:
        """An article page: content with its record, or the reason it is not content; and the
        record's cleaning when the reader did it (see crawler.extract.pool)."""
        judgement = await self._judge_article(fetched, response)
        return self._observation(fetched, response, judgement), judgement.cleaned

    def listing(self, fetched: Fetched, response: Response) -> Observation:
        if "dataloss" in response.flags:
            judgement = Judgement(
                Outcome.TRUNCATED, error="the body is shorter than its Content-Length"
            )
        elif response.status == 200:
            judgement = Judgement(Outcome.LISTING)
        else:
            judgement = Judgement(_status_verdict(response.status), error=_status_error(response))
        return self._observation(fetched, response, judgement)

    def file(
        self, fetched: Fetched, response: Response, referrer: str, refused: str | None
    ) -> Observation:
        """A file an article references: its bytes whole (FILE), or why not (refused before or
        after its bytes came, a 304, a 404 …); `media_type` is what the bytes are."""
        sniffed = media_type(response.body) if response.status == 200 else None
        if refused is not None:
            judgement = Judgement(Outcome.REJECTED, error=refused)
        elif "dataloss" in response.flags:
            judgement = Judgement(
                Outcome.TRUNCATED, error="the body is shorter than its Content-Length"
            )
        elif response.status == 200:
            judgement = Judgement(Outcome.FILE)
        else:
            judgement = Judgement(_status_verdict(response.status), error=_status_error(response))
        observation = self._observation(fetched, response, judgement)
        keep = judgement.verdict is Outcome.FILE
        return replace(
            observation,
            payload=observation.payload if keep else None,
            referrer=referrer,
            media_type=sniffed,
        )

    def file_not_fetched(self, fetched: Fetched, referrer: str, reason: str) -> Observation:
        """A file recorded without a request (on another host): the reason, nothing else."""
        return Observation(
            site=self.profile.name,
            site_origin=self.profile.origin,
            url=fetched.url,
            kind=PageKind.FILE,
            requested_url=fetched.requested_url,
            final_url=fetched.requested_url,
            fetched_at=self.clock(),
            verdict=Outcome.REJECTED,
            error=reason,
            referrer=referrer,
        )

    def copy(self, fetched: Fetched, response: Response, extracted: Extracted) -> Observation:
        """A copy of the article at `fetched.url` as another site serves it."""
        return self._observation(fetched, response, Judgement(Outcome.MIRROR_COPY, extracted))

    def failure(self, fetched: Fetched, failure: Failure) -> Observation:
        """A request that got no response at all (DNS, refused, timeout, reset)."""
        return Observation(
            site=self.profile.name,
            site_origin=self.profile.origin,
            url=fetched.url,
            kind=fetched.kind,
            requested_url=fetched.requested_url,
            final_url=fetched.requested_url,
            fetched_at=self.clock(),
            verdict=Outcome.ERROR,
            error=f"{type(failure.value).__name__}: {failure.getErrorMessage()}",
            doc_id=fetched.doc_id,
        )

    def redirect_target(self, fetched: Fetched, response: Response) -> str | None:
        """The canonical URL a redirect response points to, if it has a Location."""
        location = response.headers.get("Location")
        if response.status not in REDIRECT_STATUSES or not location:
            return None
        return self.urls.canonical(location.decode("latin-1"), fetched.url)

    async def _judge_article(self, fetched: Fetched, response: Response) -> Judgement:
        if response.status in REDIRECT_STATUSES:
            return self._judge_redirect(fetched, response)
        if response.status != 200:
            return Judgement(_status_verdict(response.status), error=_status_error(response))
        if "dataloss" in response.flags:
            return Judgement(Outcome.TRUNCATED, error="the body is shorter than its Content-Length")
        content_type = _header(response, "Content-Type")
        if not is_html(content_type):
            return Judgement(
                Outcome.ERROR, error=f"not an HTML page: {content_type or 'no Content-Type'}"
            )
        try:
            reading = await self.read(response.body, content_type, fetched.url)
        except Exception as exc:  # a page that breaks the parser is still a capture
            return Judgement(Outcome.ERROR, error=f"the page could not be read: {exc}")
        if reading.extracted is not None:
            return Judgement(Outcome.CONTENT, reading.extracted, cleaned=reading.cleaned)
        if reading.is_soft_404:
            return Judgement(Outcome.SOFT_404, error=reading.problem)
        verdict = Outcome.TRUNCATED if reading.is_incomplete else Outcome.ERROR
        return Judgement(verdict, error=reading.problem)

    def _judge_redirect(self, fetched: Fetched, response: Response) -> Judgement:
        """A redirect to another article is a move; to anything else (the home page) it is not."""
        target = self.redirect_target(fetched, response)
        if target is None or target == fetched.url:
            return Judgement(Outcome.ERROR, error=f"HTTP {response.status} redirects nowhere new")
        if is_self_redirect(fetched.requested_url, response):
            return Judgement(Outcome.ERROR, error=f"HTTP {response.status} redirects in a loop")
        if self.urls.is_article(target) and not self.urls.is_attachment(target):
            return Judgement(Outcome.MOVED, moved_to=target)
        return Judgement(Outcome.REDIRECTED, error=f"redirected to {target}")

    def _observation(
        self, fetched: Fetched, response: Response, judgement: Judgement
    ) -> Observation:
        return Observation(
            site=self.profile.name,
            site_origin=self.profile.origin,
            url=fetched.url,
            kind=fetched.kind,
            requested_url=fetched.requested_url,
            final_url=response.url,
            fetched_at=self.clock(),
            verdict=judgement.verdict,
            status=response.status,
            headers=_headers(response),
            payload=response.body if response.status != 304 else None,
            error=judgement.error,
            extracted=judgement.extracted,
            doc_id=fetched.doc_id,
            moved_to=judgement.moved_to,
        )


def _status_verdict(status: int) -> Outcome:
    if status == 304:
        return Outcome.NOT_MODIFIED
    if status in NOT_FOUND_STATUSES:
        return Outcome.NOT_FOUND
    if status in BLOCKED_STATUSES:
        return Outcome.BLOCKED
    return Outcome.ERROR


def _status_error(response: Response) -> str | None:
    return None if response.status in (200, 304) else f"HTTP {response.status}"


def _headers(response: Response) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in response.headers.items()
        for value in values
    ]


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


# What a request that got no response at all says about the host, by the failure's type.
_NO_ANSWER = {
    "CannotResolveHostError": "DNS lookup failed",
    "DownloadConnectionRefusedError": "connection refused",
    "DownloadTimeoutError": "no answer in time",
    "DownloadFailedError": "the connection failed",
    "DNSLookupError": "DNS lookup failed",
    "ConnectionRefusedError": "connection refused",
    "ConnectError": "could not connect",
    "TCPTimedOutError": "no answer in time",
    "TimeoutError": "no answer in time",
    "ConnectionLost": "the connection was lost",
    "ConnectionDone": "the connection was closed",
    "ResponseNeverReceived": "no response",
    "NoRouteError": "no route to the host",
}


def got_no_answer(observation: Observation) -> bool:
    """Whether the request got no response at all (DNS, refused, timeout, reset)."""
    return observation.status is None and observation.verdict is Outcome.ERROR


def no_answer_reason(observation: Observation) -> str:
    """`DNS lookup failed`, `connection refused`…: why a request got no response, in words."""
    kind, _, message = (observation.error or "").partition(": ")
    return _NO_ANSWER.get(kind, message.rstrip(".") or kind or "no response")


def is_self_redirect(url: str, response: Response) -> bool:
    """A redirect to the same URL but for its query: a loop, or cache busting, not a move.
    (A change of scheme or host is a move of the whole site, and is judged as a redirect.)"""
    location = response.headers.get("Location")
    if response.status not in REDIRECT_STATUSES or not location:
        return False
    target = urlsplit(urljoin(url, location.decode("latin-1")))
    source = urlsplit(url)
    return (target.scheme, target.netloc, target.path or "/") == (
        source.scheme,
        source.netloc,
        source.path or "/",
    )


def is_html(content_type: str | None) -> bool:
    """Whether a Content-Type is a web page's."""
    # A missing Content-Type is common on old CMS hosts; the bytes decide then.
    return content_type is None or content_type.split(";")[0].strip().lower() in HTML_TYPES
