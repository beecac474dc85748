"""An import: each capture of a WARC file recorded as the crawl records a page — judged by the
same rules (crawler.extract.judge), read, cleaned and validated by the same code, versioned and
deduplicated by the archive's one write path — at the time its WARC-Date says.

Captures come to the archive in time order: one older than what the archive already holds of
its page is refused for that page (counted, with the reason), never slotted into a history
already written. A newsarchive export carries each capture's metadata (the page it belongs to,
its kind, its headers exactly as stored): an import of it rebuilds the same pages, captures,
versions and lifecycle events. Another tool's WARC needs `--site` when its host is not the
site's (a local copy of it); a record of a host no profile knows is skipped and counted.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from posixpath import splitext
from typing import Any
from urllib.parse import urlsplit

from archive.database import Archive
from archive.errors import NotArchived
from archive.lifecycle import Event, Rules
from archive.query import holds_capture, last_captured, payload
from archive.records import ArticleRecord, Extracted, Observation, Outcome, PageKind
from archive.runs import RunArguments
from archive.store import Store
from crawler import settings
from crawler.extract.article import ArticleExtractor
from crawler.extract.judge import Answer, Fetched, Judge, Judgement, file, listing, observation
from crawler.extract.record import clean_record, read_and_clean, reparser
from crawler.extract.validate import Validation
from crawler.imports.warc import (
    Exchange,
    StandaloneEvent,
    StandaloneVersion,
    Unreadable,
    read_items,
)
from crawler.plan.durations import parse_duration
from crawler.sites.profile import SiteProfile, load_profile
from crawler.sites.resolve import profile_for
from crawler.sites.urls import SiteUrls, UrlError

# What a record of newsarchive's own says a page is, for the kinds it can be.
_KINDS = {kind.value: kind for kind in PageKind}
MIRROR_COPY = Outcome.MIRROR_COPY.value


@dataclass
class ImportSummary:
    """What an import did: captures recorded by outcome, records skipped and refused by reason,
    events recorded, and one sentence for each record that could not be read."""

    file: str
    dry_run: bool
    recorded: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    events: int = 0
    # Versions no capture added (a reparse's), recorded as exported.
    versions: int = 0
    unreadable: list[str] = field(default_factory=list)
    sites: set[str] = field(default_factory=set)

    @property
    def exit_code(self) -> int:
        """0, or 1 when some records could not be read or were refused."""
        return 1 if self.unreadable or self.refused else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "dry_run": self.dry_run,
            "sites": sorted(self.sites),
            "captures": sum(self.recorded.values()),
            "recorded": dict(self.recorded),
            "events": self.events,
            "versions": self.versions,
            "skipped": dict(self.skipped),
            "refused": dict(self.refused),
            "unreadable": list(self.unreadable),
            "exit_code": self.exit_code,
        }


def default_validation() -> Validation:
    """The crawl's validation with its default settings (crawler/settings.py)."""
    return Validation(
        earliest=datetime.fromisoformat(settings.NEWSARCHIVE_EARLIEST_DATE),
        max_boilerplate=settings.NEWSARCHIVE_MAX_BOILERPLATE,
    )


def _default_rules() -> Rules:
    return Rules(gone_after=parse_duration(settings.NEWSARCHIVE_GONE_AFTER))


@dataclass(frozen=True)
class ImportOptions:
    site: str | None = None  # the profile of records on hosts no profile knows
    dry_run: bool = False
    validation: Validation = field(default_factory=default_validation)
    rules: Rules = field(default_factory=_default_rules)


class _Site:
    """One site's share of an import: its rules, reader, judge, store and run."""

    def __init__(self, profile: SiteProfile, archive: Archive, options: ImportOptions) -> None:
        self.profile = profile
        self.urls = SiteUrls(profile)
        extractor = ArticleExtractor(profile, self.urls)
        self.store = Store(archive, reparse=reparser(extractor), rules=options.rules)
        self.run_id: int | None = None
        self._judges: dict[str, Judge] = {}

    def judge(self, requested: str) -> Judge:
        """The judge of answers fetched from `requested`'s origin: a local copy of the site
        (a replica, a proxy) stands for the site there, as a crawl's --base-url does, so its
        links and redirects read as the site's own."""
        parts = urlsplit(requested)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._judges:
            extractor = ArticleExtractor(self.profile, SiteUrls(self.profile, origin))

            async def read(body: bytes, content_type: str | None, url: str) -> Any:
                return read_and_clean(extractor, body, content_type, url)

            self._judges[origin] = Judge(SiteUrls(self.profile, origin), read)
        return self._judges[origin]

    def url_of(self, requested: str, page: str | None) -> str:
        """The canonical URL a capture was of: the URL requested, as the site's (another host,
        a local copy, stands for the site's own); but a page of another host that the archive
        kept as such (a file on another host) keeps its own URL."""
        if page is not None and not self.urls.is_own(page):
            return page
        parts = urlsplit(requested)
        return SiteUrls(self.profile, f"{parts.scheme}://{parts.netloc}").canonical(requested)

    def kind(self, url: str, answer: Answer | None) -> PageKind | None:
        """What a page of another tool's WARC is to the archive (None: nothing it keeps)."""
        if self.urls.is_article(url) and not self.urls.is_attachment(url):
            return PageKind.ARTICLE
        path = urlsplit(url).path
        if any(path.startswith(p) for p in self.profile.listing.paths) and path.endswith(
            ("/", ".html")
        ):
            return PageKind.LIST
        extension = splitext(path)[1].lstrip(".").lower()
        declared = answer.header("Content-Type") if answer is not None else None
        if extension in self.profile.files.extensions or (
            declared and not declared.startswith("text/html")
        ):
            return PageKind.FILE
        return None


class Importer:
    """Imports WARC files and WACZ packages into one archive."""

    def __init__(self, archive: Archive, options: ImportOptions) -> None:
        self.archive = archive
        self.options = options
        self.sites: dict[str, _Site] = {}

    def run(self, path: Path) -> ImportSummary:
        """Import every capture of the file; NotAWarc when it is not one (nothing imported)."""
        summary = ImportSummary(path.name, self.options.dry_run)
        items = read_items(path)
        first = next(items, None)  # a file that is no WARC fails here, before any write
        try:
            asyncio.run(self._import(_chain(first, items), summary, path))
        finally:
            self._finish(summary)
        return summary

    async def _import(self, items: Iterator[Any], summary: ImportSummary, path: Path) -> None:
        for item in items:
            if isinstance(item, Unreadable):
                summary.unreadable.append(item.sentence)
            elif isinstance(item, StandaloneEvent):
                self._event(item, summary, path)
            elif isinstance(item, StandaloneVersion):
                self._reading(item, summary, path)
            else:
                await self._exchange(item, summary, path)

    async def _exchange(self, exchange: Exchange, summary: ImportSummary, path: Path) -> None:
        meta = exchange.meta or {}
        if meta.get("outcome") == MIRROR_COPY:
            summary.skipped["mirror copies (not imported)"] += 1
            return
        site = self._site_for(meta.get("page") or exchange.target, path, meta.get("site"))
        if site is None:
            summary.skipped["on a host of no site profile"] += 1
            return
        requested = meta.get("requested_url") or exchange.target
        try:
            url = site.url_of(requested, meta.get("page"))
        except UrlError:
            summary.skipped["not a web address"] += 1
            return
        answer = self._answer(exchange, meta, summary)
        if answer is None and exchange.status is not None:
            return
        kind = _KINDS.get(meta.get("page_kind", "")) or site.kind(url, answer)
        if kind is None:
            summary.skipped["not a page the archive keeps"] += 1
            return
        if self._held(url, exchange, answer):
            summary.skipped["already in the archive"] += 1
            return
        before = last_captured(self.archive, url)
        if before is not None and exchange.at < before:
            summary.refused["older than the page's history in the archive"] += 1
            return
        fetched = Fetched(
            url, requested, kind, site.urls.doc_id(url) if kind is PageKind.ARTICLE else None
        )
        seen = await self._observe(site, fetched, answer, exchange, meta)
        summary.sites.add(site.profile.name)
        if self.options.dry_run:
            summary.recorded[seen.verdict.value] += 1
            return
        recorded = site.store.record(seen, self._run(site, path))
        summary.recorded[recorded.outcome.value] += 1

    def _answer(
        self, exchange: Exchange, meta: dict[str, Any], summary: ImportSummary
    ) -> Answer | None:
        """The HTTP answer as the crawl had it (None: there was none, or its bytes are lost)."""
        if exchange.status is None:
            return None
        stored = meta.get("headers")
        headers = [(str(k), str(v)) for k, v in stored] if stored is not None else exchange.headers
        body = exchange.payload or b""
        if exchange.revisit == "identical":
            found = self._payload(exchange)
            if found is None:
                summary.unreadable.append(
                    f"The revisit of {exchange.target} at {exchange.at.isoformat()} refers to "
                    "a payload neither the file nor the archive holds: skipped."
                )
                return None
            body = found
        final = meta.get("final_url") or exchange.target
        return Answer(exchange.status, headers, body, final)

    def _held(self, url: str, exchange: Exchange, answer: Answer | None) -> bool:
        """Whether the archive has this very capture (the file imported before)."""
        body = answer.body if answer is not None and answer.status != 304 else None
        digest = hashlib.sha256(body).hexdigest() if body is not None else None
        status = answer.status if answer is not None else None
        return holds_capture(self.archive, url, exchange.at, status, digest)

    def _payload(self, exchange: Exchange) -> bytes | None:
        digest = exchange.payload_digest or ""
        if not digest.startswith("sha256:"):
            return None
        try:
            return payload(self.archive, digest.removeprefix("sha256:"))
        except NotArchived:
            return None

    async def _observe(
        self,
        site: _Site,
        fetched: Fetched,
        answer: Answer | None,
        exchange: Exchange,
        meta: dict[str, Any],
    ) -> Observation:
        if answer is None:
            return _no_answer(site.profile, fetched, exchange, meta)
        if fetched.kind is PageKind.ARTICLE:
            judgement = await site.judge(fetched.requested_url).article(fetched, answer)
            judgement = self._cleaned_and_validated(site, judgement, exchange.at)
        elif fetched.kind is PageKind.LIST:
            judgement = listing(answer)
        else:
            # A file the crawl refused (too big, a type not taken) came without its bytes:
            # the refusal stands as it was made.
            refused = meta.get("error") if meta.get("outcome") == Outcome.REJECTED.value else None
            judgement = file(answer, refused)
        seen = observation(site.profile, fetched, answer, judgement, exchange.at)
        return replace(seen, referrer=meta.get("referrer"))

    def _cleaned_and_validated(self, site: _Site, judgement: Judgement, at: datetime) -> Judgement:
        """As the crawl's cleaning and validation pipelines leave an article's judgement."""
        if judgement.verdict is not Outcome.CONTENT or judgement.extracted is None:
            return judgement
        cleaned = judgement.cleaned or clean_record(judgement.extracted.record, site.profile)
        extracted = cleaned.apply(judgement.extracted)
        problem = self.options.validation.problem(extracted.record, cleaned.boilerplate, at)
        if problem is not None:
            reason, sentence = problem
            return Judgement(Outcome.REJECTED, error=f"{reason}: {sentence}")
        return replace(judgement, extracted=extracted)

    def _event(self, event: StandaloneEvent, summary: ImportSummary, path: Path) -> None:
        meta = event.meta
        site = self._site_for(meta["page"], path, meta.get("site"))
        if site is None:
            summary.skipped["on a host of no site profile"] += 1
            return
        if self.options.dry_run:
            summary.events += 1
            return
        at = datetime.fromisoformat(meta["at"])
        recorded = site.store.record_event(
            meta["page"],
            Event(meta["kind"]),
            at,
            dict(meta.get("detail") or {}),
            self._run(site, path),
        )
        if recorded:
            summary.events += 1
        else:
            summary.skipped["already in the archive"] += 1

    def _reading(self, item: StandaloneVersion, summary: ImportSummary, path: Path) -> None:
        """A version a reparse made from stored bytes: recorded as it was read, its record and
        provenance as exported, at its time; nothing is read again."""
        meta = item.meta
        site = self._site_for(meta["page"], path, meta.get("site"))
        if site is None:
            summary.skipped["on a host of no site profile"] += 1
            return
        extracted = Extracted(
            ArticleRecord.from_fields(meta["record"]),
            dict(meta.get("provenance") or {}),
            meta["parser_version"],
            repairs=dict(meta.get("repairs") or {}),
        )
        observation = Observation(
            site=site.profile.name,
            site_origin=site.profile.origin,
            url=meta["page"],
            kind=PageKind.ARTICLE,
            requested_url=meta["page"],
            final_url=meta["page"],
            fetched_at=datetime.fromisoformat(meta["captured_at"]),
            verdict=Outcome.CONTENT,
            status=200,
            extracted=extracted,
        )
        summary.sites.add(site.profile.name)
        if self.options.dry_run:
            summary.versions += 1
            return
        recorded = site.store.record_reading(observation)
        if recorded.outcome is Outcome.UNCHANGED:
            summary.skipped["already in the archive"] += 1
        else:
            summary.versions += 1

    def _site_for(self, url: str, path: Path, named: str | None = None) -> _Site | None:
        """The site of a record: the one its metadata names, else the one whose host it is
        on, else --site's."""
        profile = _profile(named) or profile_for(url)
        if profile is None and self.options.site is not None:
            profile = load_profile(self.options.site)
        if profile is None:
            return None
        if profile.name not in self.sites:
            self.sites[profile.name] = _Site(profile, self.archive, self.options)
        return self.sites[profile.name]

    def _run(self, site: _Site, path: Path) -> int:
        if site.run_id is None:
            arguments = RunArguments(command="import", site=site.profile.name, url=str(path))
            site.run_id = site.store.begin_run(site.profile.origin, arguments)
        return site.run_id

    def _finish(self, summary: ImportSummary) -> None:
        for site in self.sites.values():
            if site.run_id is not None:
                counts = {**summary.to_json(), "site": site.profile.name}
                site.store.finish_run(site.run_id, "finished", counts, summary.exit_code)


def _no_answer(
    profile: SiteProfile, fetched: Fetched, exchange: Exchange, meta: dict[str, Any]
) -> Observation:
    """A newsarchive capture that got no answer, from its metadata record."""
    return Observation(
        site=profile.name,
        site_origin=profile.origin,
        url=fetched.url,
        kind=fetched.kind,
        requested_url=meta.get("requested_url") or exchange.target,
        final_url=meta.get("final_url") or exchange.target,
        fetched_at=exchange.at,
        verdict=Outcome(meta.get("outcome") or Outcome.ERROR.value),
        error=meta.get("error"),
        doc_id=fetched.doc_id,
        referrer=meta.get("referrer"),
    )


def _profile(name: str | None) -> SiteProfile | None:
    """The profile of a site a record names, if this installation has it."""
    if not name:
        return None
    try:
        return load_profile(name)
    except ValueError:
        return None


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    if first is not None:
        yield first
    yield from rest
