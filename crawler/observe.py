"""Turning Scrapy responses and failures into archive observations, with a verdict on each."""

from __future__ import annotations

from scrapy.http import Response
from twisted.python.failure import Failure

from archive.clock import Clock, system_clock
from archive.records import Extracted, Observation, Outcome, PageKind
from crawler.extract.judge import (
    BLOCKED_STATUSES,
    REDIRECT_STATUSES,
    Answer,
    Fetched,
    Judge,
    Judgement,
    Reader,
    file,
    is_html,
    listing,
    observation,
)
from crawler.extract.judge import is_self_redirect as judge_self_redirect
from crawler.sites.profile import SiteProfile
from crawler.sites.urls import SiteUrls

__all__ = [
    "BLOCKED_STATUSES",
    "REDIRECT_STATUSES",
    "Fetched",
    "Observer",
    "got_no_answer",
    "is_html",
    "is_self_redirect",
    "no_answer_reason",
]


class Observer:
    """Makes observations of one site's Scrapy responses; the verdicts are crawler.extract.judge's."""

    def __init__(
        self, profile: SiteProfile, urls: SiteUrls, read: Reader, clock: Clock = system_clock
    ) -> None:
        self.profile = profile
        self.urls = urls
        self.judge = Judge(urls, read)
        self.clock = clock

    async def article(self, fetched: Fetched, response: Response) -> tuple[Observation, Judgement]:
        """An article page: content with its record, or the reason it is not content; and the
        judgement (the record's cleaning when the reader did it, see crawler.extract.pool; the
        profile's rules that missed)."""
        answer = answer_of(response)
        judgement = await self.judge.article(fetched, answer)
        return observation(self.profile, fetched, answer, judgement, self.clock()), judgement

    def listing(self, fetched: Fetched, response: Response) -> Observation:
        return self._observation(fetched, response, listing(answer_of(response)))

    def file(
        self, fetched: Fetched, response: Response, referrer: str, refused: str | None
    ) -> Observation:
        """A file an article references: its bytes whole, or why not."""
        answer = answer_of(response)
        return observation(
            self.profile, fetched, answer, file(answer, refused), self.clock(), referrer
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
        return self.judge.redirect_target(fetched, answer_of(response))

    def _observation(
        self, fetched: Fetched, response: Response, judgement: Judgement
    ) -> Observation:
        return observation(self.profile, fetched, answer_of(response), judgement, self.clock())


def answer_of(response: Response) -> Answer:
    """A Scrapy response as the judge sees it."""
    headers = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in response.headers.items()
        for value in values
    ]
    return Answer(
        response.status, headers, response.body, response.url, "dataloss" in response.flags
    )


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
    """A redirect to the same URL but for its query (crawler.extract.judge.is_self_redirect)."""
    location = response.headers.get("Location")
    return judge_self_redirect(
        url, response.status, location.decode("latin-1") if location else None
    )
