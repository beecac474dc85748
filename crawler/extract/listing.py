"""Reading a column's list page: its entries (link, full title, date) and the total page count."""

from __future__ import annotations

from dataclasses import dataclass

from lxml.html import HtmlElement, fragment_fromstring
from parsel import Selector

from archive.text.fold import fold_spaces
from crawler.extract.css import select
from crawler.extract.dates import normalize_date_text
from crawler.extract.decoding import decode_html
from crawler.extract.text import inline_text
from crawler.sites.profile import ListTemplate, SiteProfile
from crawler.sites.urls import SiteUrls


@dataclass(frozen=True)
class ListEntry:
    """One link on a list page; `url` is canonical; `title` is the full title (@title over text)."""

    url: str
    title: str
    date: str


@dataclass(frozen=True)
class ListPage:
    total_pages: int | None
    template: str | None
    entries: tuple[ListEntry, ...]

    def articles(self, urls: SiteUrls) -> list[ListEntry]:
        """The entries that are articles of this site: off-site and attachment links left out."""
        return [e for e in self.entries if urls.is_article(e.url) and not urls.is_attachment(e.url)]


class ListExtractor:
    """Reads list pages with the first of the profile's list templates that matches."""

    def __init__(self, profile: SiteProfile, urls: SiteUrls) -> None:
        self.listing = profile.listing
        self.urls = urls

    def read(self, body: bytes, content_type: str | None, url: str) -> ListPage:
        text = decode_html(body, content_type).text
        root = Selector(text=text or "<html></html>").root
        for template in self.listing.templates:
            items = self._items(template, root, text)
            if items:
                entries = tuple(self._entry(item, url) for item in items)
                return ListPage(self._total_pages(text), template.name, entries)
        return ListPage(self._total_pages(text), None, ())

    def _items(self, template: ListTemplate, root: HtmlElement, text: str) -> list[HtmlElement]:
        if template.embedded is None:
            return list(select(root, template.items))
        fragments = (
            fragment_fromstring(html, create_parent="div")
            for html in template.embedded.findall(text)
        )
        return [item for fragment in fragments for item in select(fragment, template.items)]

    def _entry(self, item: HtmlElement, page_url: str) -> ListEntry:
        links = item.xpath(".//a[@href]")
        if not links:
            return ListEntry(url="", title=inline_text(item), date="")
        link = links[0]
        title = fold_spaces(link.get("title") or "") or inline_text(link)
        dates = item.xpath(".//span | .//b")
        return ListEntry(
            url=self.urls.canonical(link.get("href"), page_url),
            title=title,
            date=normalize_date_text(inline_text(dates[-1])) if dates else "",
        )

    def _total_pages(self, text: str) -> int | None:
        found = self.listing.total_pattern.search(text)
        return int(found.group(1)) if found else None
