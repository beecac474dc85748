"""Reading an article page into a record, field by field, as the site profile's rules say."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from lxml.html import HtmlElement, tostring
from parsel import Selector

from archive.records import ArticleRecord, Extracted, Link
from archive.text.fold import fold_spaces
from crawler.extract import generic
from crawler.extract.css import select
from crawler.extract.dates import parse_date, parse_date_with_precision
from crawler.extract.decoding import decode_html
from crawler.extract.sanitize import sanitize_html
from crawler.extract.text import inline_text, paragraphs
from crawler.sites.profile import SiteProfile
from crawler.sites.urls import SiteUrls

# Bumped when a change to this module can change what is read from the same bytes.
EXTRACTOR_VERSION = 2


@dataclass(frozen=True)
class ArticleReading:
    """What a page yielded: a record, or the reason there is none; and how its bytes were decoded."""

    encoding: str
    extracted: Extracted | None = None
    problem: str | None = None
    is_soft_404: bool = False
    # A title but no body block: a page cut short, not a page of another kind.
    is_incomplete: bool = False
    # The record cleaned (crawler.extract.record), when the reader cleans too: see ExtractionPool.
    cleaned: Any = None
    # The fields (title, body) the profile's own rules found nothing for: what drift counts.
    rules_missed: tuple[str, ...] = ()


@dataclass
class _Page:
    """The parsed page, computed once and shared by every field rule."""

    url: str
    root: HtmlElement
    meta: dict[str, str]
    body_in_page: HtmlElement | None
    body: HtmlElement | None
    body_rule: str | None
    # The body's paragraphs when the generic fallback found the block (its own boilerplate out).
    fallback_lines: list[str] | None = None
    # The fields the generic fallback found, the profile's rules having found nothing.
    fallback_fields: list[str] = field(default_factory=list)


class ArticleExtractor:
    """Turns article pages of one site into records; knows nothing of HTTP or storage."""

    def __init__(self, profile: SiteProfile, urls: SiteUrls) -> None:
        self.profile = profile
        self.rules = profile.article
        self.urls = urls
        self.parser_version = f"{profile.parser_version}+x{EXTRACTOR_VERSION}"
        self._label_patterns: dict[str, re.Pattern[str]] = {}
        # One selector for all boilerplate: one pass over the body block instead of one per rule.
        self._boilerplate = ", ".join(self.rules.boilerplate_selectors) or "_none_"

    def read(self, body: bytes, content_type: str | None, url: str) -> ArticleReading:
        """The record of the page at canonical `url` whose bytes are `body`."""
        decoded = decode_html(body, content_type)
        page = self._parse(decoded.text, url)
        provenance: dict[str, str] = {"encoding": decoded.describe()}
        title = self._text_field(page, "title", provenance)
        missed = _rules_missed(provenance, page)
        if page.body is None:
            self._fallback_body(page, title or "")
        text = self._body_paragraphs(page)
        if not title or not text:
            return replace(
                self._not_an_article(decoded.describe(), page, title), rules_missed=missed
            )
        published = self._published_at(page, provenance)
        record = ArticleRecord(
            title=title,
            published_at=published[0],
            published_precision=published[1],
            source=self._text_field(page, "source", provenance) or "",
            column=self._text_field(page, "column", provenance) or "",
            body="\n".join(text),
            body_html=self._body_html(page),
            images=self._images(page),
            attachments=self._attachments(page),
            links=self._links(page),
            doc_id=self.urls.doc_id(url),
        )
        provenance["body"] = page.body_rule or ""
        if page.fallback_fields:
            provenance["fallback"] = ",".join(page.fallback_fields)
        extracted = Extracted(record, provenance, self.parser_version)
        return ArticleReading(decoded.describe(), extracted, rules_missed=missed)

    def _parse(self, text: str, url: str) -> _Page:
        root = Selector(text=text or "<html></html>").root
        meta: dict[str, str] = {}
        for element in root.xpath("//meta[@name]"):
            name = element.get("name", "").strip().lower()
            meta.setdefault(name, fold_spaces(element.get("content", "")))
        found, rule = self._body_block(root)
        body = self._without_boilerplate(found) if found is not None else None
        return _Page(url, root, meta, found, body, rule)

    def _body_block(self, root: HtmlElement) -> tuple[HtmlElement | None, str | None]:
        for rule in self.rules.fields["body"]:
            kind, _, selector = rule.partition(":")
            if kind == "generic":
                continue  # the fallback, after the profile's own rules
            found = select(root, selector)
            if found:
                return found[0], rule
        return None, None

    def _without_boilerplate(self, block: HtmlElement) -> HtmlElement:
        """A copy of the body block with the profile's boilerplate removed (the page stays whole)."""
        block = copy.deepcopy(block)
        for element in select(block, self._boilerplate):
            element.drop_tree()
        return block

    def _text_field(self, page: _Page, field: str, provenance: dict[str, str]) -> str | None:
        """The first value a rule of `field` finds; empty values count only for optional fields."""
        required = field == "title"
        for rule in self.rules.fields.get(field, ()):
            value = self._apply(page, rule)
            if value is None or (required and not value):
                continue
            provenance[field] = rule
            return value
        found = self._fallback(page, field)
        if found is None or (required and not found[0]):
            provenance[field] = "none"
            return None
        provenance[field] = found[1]
        page.fallback_fields.append(field)
        return found[0]

    def _fallback(self, page: _Page, field: str) -> generic.Found | None:
        """What the generic reader finds for a field the profile's rules did not (provenance
        says so: `generic:…`, or the meta tag it came from)."""
        meta = generic.meta_tags(page.root)
        if field == "title":
            return generic.find_title(page.root, meta)
        if field == "column":
            return generic.find_column(page.root, meta)
        label_text = self._label_text(page)
        if field == "published_at":
            return generic.find_published(page.root, meta, label_text)
        if field == "source":
            return generic.find_source(page.root, meta, label_text)
        return None

    def _label_text(self, page: _Page) -> str:
        """Where the generic reader looks for labelled values: outside the body, and the first
        lines of the body (some templates put the 来源 line inside it)."""
        head = paragraphs(page.body)[:4] if page.body is not None else []
        return _text_outside(page.root, page.body_in_page) + "\n" + "\n".join(head)

    def _fallback_body(self, page: _Page, title: str) -> None:
        """The body block found by text density, when no rule of the profile found one."""
        found = generic.find_body(page.root)
        if found is None:
            return
        block, how = found
        page.body_in_page, page.body_rule = block, how
        page.body = self._without_boilerplate(generic.without_boilerplate(block))
        page.fallback_lines = generic.body_lines(page.body, title)
        page.fallback_fields.append("body")

    def _apply(self, page: _Page, rule: str) -> str | None:
        kind, _, argument = rule.partition(":")
        if kind == "generic":
            return None  # the fallback, after the profile's own rules
        if kind == "meta":
            return page.meta.get(argument.lower())
        if kind == "css":
            found = select(page.root, argument)
            return inline_text(found[0]) if found else None
        return self._label(page, argument)

    def _label(self, page: _Page, label: str) -> str | None:
        """The value after `label：` in the meta line of the page, up to the next label."""
        pattern = self._label_pattern(label)
        for text in self._label_texts(page):
            found = pattern.search(text)
            if found:
                return fold_spaces(found.group(1))
        return None

    def _label_pattern(self, label: str) -> re.Pattern[str]:
        if label not in self._label_patterns:
            stops = "|".join(re.escape(s) for s in self.rules.label_stops if s != label)
            self._label_patterns[label] = re.compile(
                rf"{re.escape(label)}\s*[:：]\s*(.*?)\s*(?=(?:{stops})\s*[:：]|$)", re.DOTALL
            )
        return self._label_patterns[label]

    def _label_texts(self, page: _Page) -> Iterator[str]:
        """The meta-line blocks of the page, then (computed only if needed) all text outside the body."""
        for selector in self.rules.label_scope:
            for element in select(page.root, selector):
                yield inline_text(element)
        yield _text_outside(page.root, page.body_in_page)

    def _published_at(
        self, page: _Page, provenance: dict[str, str]
    ) -> tuple[datetime | None, str | None]:
        """The publication time and how precise the page's text of it is (day, minute, second)."""
        for rule in self.rules.fields["published_at"]:
            value = self._apply(page, rule)
            parsed = self._dated(value)
            if parsed[0] is not None:
                provenance["published_at"] = rule
                return parsed
        found = self._fallback(page, "published_at")
        parsed = self._dated(found[0] if found else None)
        provenance["published_at"] = found[1] if found and parsed[0] else "none"
        if parsed[0] is not None:
            page.fallback_fields.append("published_at")
        return parsed

    def _dated(self, text: str | None) -> tuple[datetime | None, str | None]:
        if not text:
            return None, None
        zone = self.profile.timezone
        moment = parse_date(text, zone)
        precise = parse_date_with_precision(text, zone) if moment else None
        # The precision of the very instant read; a text whose dates the two readers pick
        # differently keeps its time and says nothing of its precision.
        return moment, precise[1] if precise and precise[0] == moment else None

    def _body_paragraphs(self, page: _Page) -> list[str]:
        """The body block's paragraphs as they stand; boilerplate lines are for cleaning to drop."""
        if page.fallback_lines is not None:
            return page.fallback_lines
        return paragraphs(page.body) if page.body is not None else []

    def _body_html(self, page: _Page) -> str:
        assert page.body is not None
        fragment = tostring(page.body, encoding="unicode", with_tail=False)
        return sanitize_html(fragment, lambda href: self.urls.canonical(href, page.url))

    def _images(self, page: _Page) -> tuple[str, ...]:
        assert page.body is not None
        sources = (src for src in page.body.xpath(".//img/@src") if not src.startswith("data:"))
        return tuple(dict.fromkeys(self.urls.canonical(src, page.url) for src in sources))

    def _attachments(self, page: _Page) -> tuple[Link, ...]:
        links = [
            link
            for rule in self.rules.fields.get("attachments", ())
            for link in select(page.root, rule.partition(":")[2])
        ]
        if page.body is not None:
            links += page.body.xpath(".//a[@href]")
        found: dict[str, Link] = {}
        for link in links:
            url = self.urls.canonical(link.get("href", ""), page.url)
            if self.urls.is_attachment(url) and url not in found:
                found[url] = Link(url=url, text=inline_text(link))
        return tuple(found.values())

    def _links(self, page: _Page) -> tuple[Link, ...]:
        """The body's links to pages (attachments and javascript: pseudo-links are not links)."""
        assert page.body is not None
        found: dict[str, Link] = {}
        for anchor in page.body.xpath(".//a[@href]"):
            href = anchor.get("href", "").strip()
            if not href or href.lower().startswith(("javascript:", "#", "mailto:")):
                continue
            url = self.urls.canonical(href, page.url)
            if not self.urls.is_attachment(url) and url not in found:
                found[url] = Link(url=url, text=inline_text(anchor))
        return tuple(found.values())

    def _not_an_article(self, encoding: str, page: _Page, title: str | None) -> ArticleReading:
        text = inline_text(page.root)
        if any(marker in text for marker in self.rules.soft_404_markers):
            return ArticleReading(
                encoding, problem="the page says it does not exist", is_soft_404=True
            )
        if title and "title" not in page.fallback_fields:
            return ArticleReading(
                encoding, problem="the page has a title but no body", is_incomplete=True
            )
        if title:  # a title any page has (<title>), and no text of an article
            return ArticleReading(encoding, problem="the page has no article: no body was found")
        return ArticleReading(encoding, problem="the page has no article: no title was found")


def _rules_missed(provenance: dict[str, str], page: _Page) -> tuple[str, ...]:
    missed = () if provenance.get("title", "none") != "none" else ("title",)
    return missed + (() if page.body_rule is not None else ("body",))


def _text_outside(root: HtmlElement, block: HtmlElement | None) -> str:
    """The page's text with the body block left out: where a label is looked for last."""
    if block is None:
        return inline_text(root)
    path = root.getroottree().getpath(block)
    clone = copy.deepcopy(root)
    for element in clone.xpath(path):
        element.drop_tree()
    return inline_text(clone)
