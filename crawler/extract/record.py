"""A page's record as the archive takes it: read by the profile's rules, then cleaned."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from archive.records import ArticleRecord, Extracted
from archive.text.clean import CLEANER_VERSION, ArticleText, clean_text
from archive.text.repair import Repairs
from archive.text.segments import Prepared, prepare
from archive.text.similarity import Fingerprint, fingerprint
from crawler.extract.article import ArticleExtractor, ArticleReading
from crawler.sites.profile import SiteProfile


@dataclass(frozen=True)
class Cleaned:
    """A cleaned record, the rules that changed something (with counts), any repairs made, the
    share of the body that was boilerplate, and the cleaned record's fingerprint and search
    segments (archive.text.segments.prepare: work the archive's writer is then spared)."""

    record: ArticleRecord
    applied: dict[str, int] = field(default_factory=dict)
    repairs: Repairs = field(default_factory=Repairs)
    boilerplate: float = 0.0
    fingerprint: Fingerprint | None = None
    segments: Prepared | None = None

    def apply(self, extracted: Extracted) -> Extracted:
        """`extracted` with this cleaning applied, its parser version naming the cleaner."""
        return replace(
            extracted,
            record=self.record,
            repairs=self.repairs.to_json(),
            fingerprint=self.fingerprint,
            segments=self.segments,
            parser_version=f"{extracted.parser_version}+c{CLEANER_VERSION}",
        )


def clean_record(
    record: ArticleRecord, profile: SiteProfile, fingerprinted: bool = True
) -> Cleaned:
    """The record in canonical form (archive.text.clean) with the profile's boilerplate lines and
    script; applying it twice changes nothing more. Without `fingerprinted`, no similarity
    fingerprint nor search segments: the archive works them out if the record makes a new
    version (archive.store)."""
    text = ArticleText(
        record.title, record.body, record.source, record.column, record.editor, record.author
    )
    cleaned = clean_text(text, profile.article.boilerplate_lines, profile.script)
    new = replace(record, **vars(cleaned.text))
    return Cleaned(
        new,
        dict(cleaned.applied),
        cleaned.repairs,
        cleaned.boilerplate,
        fingerprint(new.title, new.body) if fingerprinted else None,
        prepare(new.title, new.body) if fingerprinted else None,
    )


def read_and_clean(
    extractor: ArticleExtractor,
    body: bytes,
    content_type: str | None,
    url: str,
    fingerprinted: bool = True,
) -> ArticleReading:
    """A reading whose record is also cleaned; the cleaning pipeline then only applies it."""
    reading = extractor.read(body, content_type, url)
    if reading.extracted is None:
        return reading
    cleaned = clean_record(reading.extracted.record, extractor.profile, fingerprinted)
    return replace(reading, cleaned=cleaned)


def reparser(
    extractor: ArticleExtractor,
) -> Callable[[bytes, str | None, str], Mapping[str, Any] | None]:
    """Reads and cleans an archived payload with today's rules (archive.store.Reparser), so
    that a parser upgrade is not taken for an edit."""

    def reparse(payload: bytes, content_type: str | None, url: str) -> Mapping[str, Any] | None:
        reading = extractor.read(payload, content_type, url)
        if reading.extracted is None:
            return None
        return clean_record(reading.extracted.record, extractor.profile).record.fields()

    return reparse
