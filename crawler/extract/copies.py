"""Reading a mirror site's copy of an archived article: the text only, by the profile's [copies] rules."""

from __future__ import annotations

import copy

from lxml.html import HtmlElement
from parsel import Selector

from archive.records import ArticleRecord, Extracted
from crawler.extract.article import EXTRACTOR_VERSION
from crawler.extract.css import select
from crawler.extract.decoding import decode_html
from crawler.extract.text import inline_text, paragraphs
from crawler.sites.profile import SiteProfile


class CopyExtractor:
    """Reads a copy of an article on another site, whose template is not the site's: the
    profile's [copies] rules find the text; the title is often missing there."""

    def __init__(self, profile: SiteProfile) -> None:
        self.profile = profile
        self.parser_version = f"{profile.parser_version}+copy{EXTRACTOR_VERSION}"

    def read(self, body: bytes, content_type: str | None) -> Extracted | None:
        """The copy's record (title and body only), or None if no rule finds any text."""
        decoded = decode_html(body, content_type)
        root = Selector(text=decoded.text or "<html></html>").root
        block, body_rule = _first(root, self.profile.copies.body)
        title_element, title_rule = _first(root, self.profile.copies.title)
        title = inline_text(title_element) if title_element is not None else ""
        text = paragraphs(_without(block, title_element)) if block is not None else []
        if not text:
            return None
        record = ArticleRecord(
            title=title,
            published_at=None,
            source="",
            column="",
            body="\n".join(text),
            body_html="",
        )
        provenance = {
            "encoding": decoded.describe(),
            "title": title_rule or "none",
            "body": body_rule or "",
        }
        return Extracted(record, provenance, self.parser_version)


def _without(block: HtmlElement, inner: HtmlElement | None) -> HtmlElement:
    """`block`, or a copy of it without `inner` when `inner` is inside it (a title in the text)."""
    if inner is None or block not in inner.iterancestors():
        return block
    path = block.getroottree().getpath(inner)
    clone = copy.deepcopy(block.getroottree().getroot())
    for element in clone.xpath(path):
        element.drop_tree()
    return clone.xpath(block.getroottree().getpath(block))[0]


def _first(root: HtmlElement, rules: tuple[str, ...]) -> tuple[HtmlElement | None, str | None]:
    for rule in rules:
        found = select(root, rule.partition(":")[2])
        if found:
            return found[0], rule
    return None, None
