"""Reparse: the archive's stored answers read again by today's profiles, nothing fetched."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from archive.clock import Clock
from archive.database import Archive
from archive.query import latest_content_sha256
from archive.records import Observation, Outcome, PageKind, content_sha256
from archive.rereading import StoredAnswer, stored_answers
from archive.store import Store
from crawler.extract.article import ArticleExtractor
from crawler.extract.record import read_and_clean
from crawler.extract.validate import Validation
from crawler.sites.profile import SiteProfile, load_profile
from crawler.sites.urls import SiteUrls

REPARSE = "reparse"


@dataclass(frozen=True)
class ReparseOptions:
    site: str | None = None
    since: datetime | None = None
    urls: tuple[str, ...] = ()
    dry_run: bool = False


@dataclass
class ReparseSummary:
    """What a reparse read and did: outcomes (new, reparsed, unchanged), pages that held no
    article or that validation refused, and each page that got (or would get) a version."""

    dry_run: bool
    read: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    unreadable: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    versions: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "read": self.read,
            "outcomes": dict(self.outcomes),
            "unreadable": dict(self.unreadable),
            "rejected": dict(self.rejected),
            "versions": self.versions,
        }


class Reparser:
    """Reads each stored answer with its site's profile as a crawl would (read, cleaned,
    validated) and records the reading (archive.store.Store.record_reading). A page is one
    transaction, so a reparse killed midway keeps what it did, and running it again goes on
    from there: a page read the same way twice gets nothing new."""

    def __init__(self, archive: Archive, validation: Validation, clock: Clock) -> None:
        self.archive = archive
        self.validation = validation
        self.clock = clock
        self.store = Store(archive)
        self._extractors: dict[str, ArticleExtractor] = {}

    def answers(self, options: ReparseOptions) -> Iterator[StoredAnswer]:
        return stored_answers(
            self.archive, site=options.site, since=options.since, urls=options.urls
        )

    def run(
        self,
        options: ReparseOptions,
        answers: Iterator[StoredAnswer],
        done: Callable[[StoredAnswer], None] = lambda _: None,
    ) -> ReparseSummary:
        summary = ReparseSummary(options.dry_run)
        for answer in answers:
            self._reparse(answer, options, summary)
            done(answer)
        return summary

    def _reparse(
        self, answer: StoredAnswer, options: ReparseOptions, summary: ReparseSummary
    ) -> None:
        summary.read += 1
        observation = self._observation(answer, summary)
        if observation is None:
            return
        if options.dry_run:
            outcome = self._would_be(observation)
            changed: tuple[str, ...] = ()
        else:
            recorded = self.store.record_reading(observation, answer.capture_id, answer.captured_at)
            outcome, changed = recorded.outcome, recorded.changed_fields
        summary.outcomes[outcome.value] += 1
        if outcome is not Outcome.UNCHANGED:
            summary.versions.append(_version_line(answer, outcome, changed))

    def _observation(self, answer: StoredAnswer, summary: ReparseSummary) -> Observation | None:
        """The answer read as a crawl reads it, or None (counted) when it holds no record the
        archive would keep."""
        extractor = self._extractor(answer.site)
        reading = read_and_clean(extractor, answer.payload, answer.content_type, answer.page_url)
        if reading.extracted is None or reading.cleaned is None:
            summary.unreadable[reading.problem or "no record"] += 1
            return None
        extracted = reading.cleaned.apply(reading.extracted)
        problem = self.validation.problem(
            extracted.record, reading.cleaned.boilerplate, answer.captured_at
        )
        if problem is not None:
            summary.rejected[problem[0]] += 1
            return None
        return Observation(
            site=answer.site,
            site_origin=answer.site_origin,
            url=answer.page_url,
            kind=PageKind.ARTICLE,
            requested_url=answer.page_url,
            final_url=answer.page_url,
            fetched_at=self.clock(),
            verdict=Outcome.CONTENT,
            status=200,
            extracted=extracted,
        )

    def _would_be(self, observation: Observation) -> Outcome:
        assert observation.extracted is not None
        stored = latest_content_sha256(self.archive, observation.url)
        if stored is None:
            return Outcome.NEW
        digest = content_sha256(observation.extracted.record.fields())
        return Outcome.UNCHANGED if stored == digest else Outcome.REPARSED

    def _extractor(self, site: str) -> ArticleExtractor:
        if site not in self._extractors:
            profile: SiteProfile = load_profile(site)
            self._extractors[site] = ArticleExtractor(profile, SiteUrls(profile))
        return self._extractors[site]


def _version_line(
    answer: StoredAnswer, outcome: Outcome, changed: tuple[str, ...]
) -> dict[str, Any]:
    return {
        "url": answer.page_url,
        "outcome": outcome.value,
        "changed_fields": list(changed),
        "capture": answer.capture_id,
        "captured_at": answer.captured_at.isoformat(),
    }
