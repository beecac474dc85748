"""Discovering a site's news column from its own pages: its platform, its columns, and a check."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement
from parsel import Selector

from crawler.extract.article import ArticleExtractor
from crawler.extract.decoding import decode_html
from crawler.extract.judge import is_html
from crawler.extract.listing import ListEntry, ListExtractor
from crawler.extract.sniff import media_type
from crawler.extract.text import inline_text
from crawler.sites.profile import (
    ProfileError,
    SiteProfile,
    merged_profile,
    platform_profiles,
    profile_from,
)
from crawler.sites.urls import DEFAULT_PORTS, SiteUrls
from crawler.sites.visit import Disallowed, Fetched, Unreachable, Visit

# Articles read per column: enough to trust the platform's rules on it, few requests.
ARTICLES_CHECKED = 3
# Columns checked at most (each a list page and its articles) before discover gives up.
COLUMNS_CHECKED = 4
# The fields an article's check needs the platform's own rules (not the generic reader) to read.
NEEDED = ("title", "published_at", "body")
# Link texts that name no column: a block's 更多, the way home.
NO_NAME = re.compile(r"^(?:更多|查看更多|more|首页|返回首页|网站首页)\W*$", re.IGNORECASE)
# Where on a page a column link sits, told by its ancestors' classes and ids.
PLACES = (
    ("nav", re.compile(r"nav|menu", re.IGNORECASE)),
    ("breadcrumb", re.compile(r"adress|address|position|crumb|location|dqwz", re.IGNORECASE)),
)


class Undiscoverable(Exception):
    """The page is on no platform discover knows, or its site shows no column to check; the
    message is one sentence for the user."""


@dataclass(frozen=True)
class Platform:
    """A platform profile with a [discover] table: how its pages link their columns."""

    name: str
    column_path: re.Pattern[str]
    news_names: tuple[str, ...]
    templates: tuple[Mapping[str, Any], ...]  # its [[listing.templates]] as written


def known_platforms() -> list[Platform]:
    """The platforms discover can recognise: the platform profiles with a [discover] table."""
    found = (_platform(name, merged_profile(name)) for name in platform_profiles())
    return [platform for platform in found if platform is not None]


def _platform(name: str, raw: Mapping[str, Any]) -> Platform | None:
    table = raw.get("discover")
    if not isinstance(table, dict) or not table.get("column_path"):
        return None
    templates = tuple(raw.get("listing", {}).get("templates", ()))
    words = tuple(table.get("news_names", ()))
    return Platform(name, _pattern(table["column_path"], name), words, templates)


def _pattern(value: str, name: str) -> re.Pattern[str]:
    try:
        return re.compile(value)
    except re.error as exc:
        raise ProfileError(
            f"In platform profile {name!r}, [discover] column_path is not a valid regular "
            f"expression: {exc}."
        ) from None


@dataclass(frozen=True)
class Page:
    """A fetched HTML page, parsed once: where it was served from, its text, tree and metas."""

    url: str
    text: str
    root: HtmlElement
    metas: Mapping[str, str]  # <meta name> lower-cased → content (the first of a name)

    def meta(self, name: str) -> str:
        return self.metas.get(name.lower(), "").strip()


def read_page(fetched: Fetched) -> Page:
    text = decode_html(fetched.body, fetched.content_type).text
    root = Selector(text=text or "<html></html>").root
    metas: dict[str, str] = {}
    for meta in root.iter("meta"):
        name = (meta.get("name") or "").strip().lower()
        if name:
            metas.setdefault(name, meta.get("content") or "")
    return Page(fetched.url, text, root, metas)


# --- hosts


def spelled(url: str) -> str:
    """The host[:port] of a URL (or of a bare host, as SiteDomain gives it) as an origin spells
    it: lower case, without the scheme's default port (80 or 443 for a bare host)."""
    parts = urlsplit(url if "//" in url else f"//{url.strip()}")
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    scheme = parts.scheme.lower()
    defaults = {DEFAULT_PORTS[scheme]} if scheme in DEFAULT_PORTS else set(DEFAULT_PORTS.values())
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None or str(port) in defaults else f"{shown}:{port}"


def origin_of(url: str) -> str:
    return f"{urlsplit(url).scheme.lower()}://{spelled(url)}"


def bare(netloc: str) -> str:
    """A host without its port and www.: what the spellings of one site's host share."""
    return (urlsplit(f"//{netloc}").hostname or "").removeprefix("www.")


def same_site(one: str, other: str) -> bool:
    return bool(one and other) and bare(one) == bare(other)


def is_dns_name(host: str) -> bool:
    """A name with a dot (www.example.gov.cn), not an address or a single label (localhost)."""
    name = bare(host)
    return "." in name and not re.fullmatch(r"[\d.]+|\[?[0-9a-fA-F:]+\]?", name)


# --- columns


@dataclass
class Column:
    """A column of the site as its pages link it: its path, the names links give it, where."""

    path: str
    names: list[str] = field(default_factory=list)
    found_on: list[str] = field(default_factory=list)
    given: bool = False  # the URL given is this column's

    @property
    def name(self) -> str:
        return self.names[0] if self.names else ""

    @property
    def depth(self) -> int:
        return self.path.strip("/").count("/") + 1

    def add(self, name: str, place: str) -> None:
        if name and name not in self.names:
            self.names.append(name)
        if place not in self.found_on:
            self.found_on.append(place)


def column_path(path: str) -> str:
    """A column's path from its list page's: `/col8264/index_2.html` is `/col8264/`."""
    return path[: path.rindex("/") + 1]


def column_links(
    page: Page, pattern: re.Pattern[str], own: Callable[[str], bool]
) -> list[tuple[str, str, str]]:
    """(column path, name, place) of every link on `page` to a column of its site; `own` tells
    whether a URL is on the site."""
    found = []
    for link in page.root.iter("a"):
        url = _link_url(page.url, link.get("href") or "")
        path = urlsplit(url).path if url else ""
        if url and own(url) and pattern.match(path):
            text = inline_text(link) or (link.get("title") or "").strip()
            name = "" if NO_NAME.match(text) else text
            found.append((column_path(path), name, f"{_place(link)} on {urlsplit(page.url).path}"))
    return found


def _link_url(base: str, href: str) -> str | None:
    href = href.strip()
    if not href or href.startswith(("javascript:", "#", "mailto:")):
        return None
    try:
        return urljoin(base, href)
    except ValueError:  # a malformed href (a bad port, an unclosed bracket) links nowhere
        return None


def _place(link: HtmlElement) -> str:
    for element in link.iterancestors():
        if element.tag == "nav":
            return "nav"
        marks = f"{element.get('class') or ''} {element.get('id') or ''}"
        for place, pattern in PLACES:
            if pattern.search(marks):
                return place
    return "link"


def news_rank(column: Column, words: tuple[str, ...]) -> int | None:
    """How news-like a column's names are: the index of the first news word one of them holds
    (要闻 before 新闻 before 动态), None when none does."""
    ranks = [i for i, word in enumerate(words) for name in column.names if word in name]
    return min(ranks) if ranks else None


# --- the site


@dataclass
class Site:
    """What the page given says of its site: its platform, names, host and columns."""

    url: str  # the URL given, normalised
    served: str  # the origin that answered it (after redirects)
    platform: Platform
    name: str  # SiteName
    domain: str  # SiteDomain as an origin spells it; "" when the page names none
    code: str  # SiteIDCode
    columns: dict[str, Column] = field(default_factory=dict)

    @property
    def host(self) -> str:
        """The site's own host: the one it names, else the one that served it."""
        return self.domain or spelled(self.served)

    def own(self, url: str) -> bool:
        """Whether `url` is on the site: on the host that served it or a spelling of its own."""
        if urlsplit(url).scheme.lower() not in DEFAULT_PORTS:
            return False
        where = spelled(url)
        return where == spelled(self.served) or same_site(where, self.domain)

    def add_columns(self, page: Page) -> None:
        for path, name, place in column_links(page, self.platform.column_path, self.own):
            self.columns.setdefault(path, Column(path)).add(name, place)


def recognise(url: str, visit: Visit, platforms: list[Platform]) -> Site:
    """The site of the page at `url` on the first platform whose signs the page shows: links to
    columns in the platform's form, and its site metas or a list in its templates.
    Undiscoverable otherwise; Unreachable and Disallowed as the visit raises them."""
    fetched = visit.get(url)
    page = read_page(_html(fetched, url))
    for platform in platforms:
        site = _site(url, fetched, platform, page)
        if site.columns and (site.domain or site.code or _shows_a_list(site, fetched)):
            return site
    names = ", ".join(p.name for p in platforms) or "none"
    raise Undiscoverable(
        f"{url} is not on a platform newsarchive knows ({names}): the page links no columns "
        "in their form; a profile for it is written by hand (docs/sites.md)."
    )


def _html(fetched: Fetched, url: str) -> Fetched:
    if fetched.status != 200:
        raise Undiscoverable(f"{url} answered HTTP {fetched.status}: there is no page to read.")
    kind = media_type(fetched.body) or (
        None if is_html(fetched.content_type) else fetched.content_type
    )
    if kind or not fetched.body.strip():
        raise Undiscoverable(f"{url} is not an HTML page ({kind or 'empty'}).")
    return fetched


def _site(url: str, fetched: Fetched, platform: Platform, page: Page) -> Site:
    domain = page.meta("SiteDomain")
    site = Site(
        url=url,
        served=origin_of(fetched.url),
        platform=platform,
        name=page.meta("SiteName"),
        domain=spelled(domain) if domain else "",
        code=page.meta("SiteIDCode"),
    )
    path = urlsplit(fetched.url).path
    if platform.column_path.match(path):
        given = site.columns.setdefault(column_path(path), Column(column_path(path), given=True))
        given.add(page.meta("ColumnName"), "the URL given")
    site.add_columns(page)
    return site


def _shows_a_list(site: Site, fetched: Fetched) -> bool:
    """Whether the page holds a list in the platform's templates, or its page count script."""
    profile = probe_profile(site, f"http://{site.host}")
    urls = SiteUrls(profile, site.served)
    listed = ListExtractor(profile, urls).read(fetched.body, fetched.content_type, fetched.url)
    return listed.template is not None or listed.total_pages is not None


def probe_profile(site: Site, origin: str) -> SiteProfile:
    """The profile a site of the platform at `origin` has (every spelling of its host an
    alias, no column yet): what its pages are read with while discover checks them."""
    also = aliases(origin, site.served)
    return profile_from("discovered", profile_data(site.platform, "discovered", origin, also, ()))


def profile_data(
    platform: Platform, name: str, origin: str, also: list[str], paths: tuple[str, ...]
) -> dict[str, Any]:
    """A site profile's data as it is written: the platform's, with the site's host and column."""
    listing: dict[str, Any] = {"paths": list(paths)}
    return {
        "name": name,
        "extends": platform.name,
        "origin": origin,
        "aliases": also,
        "listing": listing,
    }


def aliases(origin: str, served: str) -> list[str]:
    """The other spellings of an origin's host: the other scheme, with and without www., and
    the origin that served the pages when it spells the same host (a port, a www. less)."""
    scheme, host = origin.split("://", 1)
    hosts = [host, _toggled(host)] if is_dns_name(host) else [host]
    schemes = (scheme, "https" if scheme == "http" else "http")
    spellings = [f"{s}://{h}" for h in hosts for s in schemes]
    if same_site(spelled(served), host) and is_dns_name(host):
        spellings.append(served)
    return [alias for alias in dict.fromkeys(spellings) if alias != origin]


def _toggled(host: str) -> str:
    return host.removeprefix("www.") if host.startswith("www.") else f"www.{host}"


# --- checking columns


@dataclass(frozen=True)
class ArticleCheck:
    """One article of a column read with the platform's rules: what was found, or the problem."""

    url: str
    status: int | None = None
    title: str = ""
    published_at: str = ""
    body_chars: int = 0
    problem: str = ""

    @property
    def read(self) -> bool:
        return not self.problem


@dataclass
class ColumnCheck:
    """A column checked: its list page (template, pages, articles listed) and articles read."""

    column: Column
    status: int | None = None
    problem: str = ""
    name: str = ""  # the list page's ColumnName
    template: str | None = None
    template_first: bool = True  # the platform's template order reads it as it is
    pages: int | None = None
    listed: int = 0
    articles: list[ArticleCheck] = field(default_factory=list)

    @property
    def has_list(self) -> bool:
        return self.template is not None and self.listed > 0

    @property
    def verified(self) -> bool:
        return self.has_list and bool(self.articles) and all(a.read for a in self.articles)


def check_columns(site: Site, visit: Visit, origin: str) -> list[ColumnCheck]:
    """Columns checked best first (the URL given's, then by news_rank, deeper first) until one
    is verified; a column whose page holds no list (a section such as 新闻中心) adds the
    columns its page links to the queue."""
    checks: list[ColumnCheck] = []
    while len(checks) < COLUMNS_CHECKED:
        done = {check.column.path for check in checks}
        queue = [c for c in ranked(site) if c.path not in done]
        if not queue:
            break
        checks.append(check_column(site, visit, queue[0], origin))
        if checks[-1].verified:
            break
    return checks


def ranked(site: Site) -> list[Column]:
    """The columns worth checking, best first: the one given, then the news-named ones."""
    words = site.platform.news_names
    order = {path: i for i, path in enumerate(site.columns)}
    candidates = [c for c in site.columns.values() if c.given or news_rank(c, words) is not None]

    def key(column: Column) -> tuple[bool, int, int, int]:
        rank = news_rank(column, words)
        return (
            not column.given,
            len(words) if rank is None else rank,
            -column.depth,
            order[column.path],
        )

    return sorted(candidates, key=key)


def check_column(site: Site, visit: Visit, column: Column, origin: str) -> ColumnCheck:
    """Reads the column's list page with the platform's templates, then a few of its articles
    with the platform's rules."""
    check = ColumnCheck(column)
    try:
        fetched = visit.get(site.served + column.path)
    except (Disallowed, Unreachable) as exc:
        check.problem = str(exc).rstrip(".")
        return check
    check.status = fetched.status
    if fetched.status != 200:
        check.problem = f"its list page answered HTTP {fetched.status}"
        return check
    page = read_page(fetched)
    site.add_columns(page)  # a section's page links the columns under it
    check.name = page.meta("ColumnName")
    entries = _read_list(site, origin, fetched, check)
    if not check.problem:
        check.articles = [
            _check_article(site, visit, origin, e.url) for e in _sample(entries, column.path)
        ]
    return check


def _read_list(site: Site, origin: str, fetched: Fetched, check: ColumnCheck) -> list[ListEntry]:
    """The list's article entries in the template that finds most of them; notes in `check`
    whether the platform's order of templates would read it so (its first that finds items)."""
    profile = probe_profile(site, origin)
    urls = SiteUrls(profile, site.served)
    read_as = ListExtractor(profile, urls).read(fetched.body, fetched.content_type, fetched.url)
    best: tuple[str | None, list[ListEntry]] = (None, [])
    for template in profile.listing.templates:
        alone = replace(profile, listing=replace(profile.listing, templates=(template,)))
        found = ListExtractor(alone, urls).read(fetched.body, fetched.content_type, fetched.url)
        if len(found.articles(urls)) > len(best[1]):
            best = (template.name, found.articles(urls))
    check.template, check.pages, check.listed = best[0], read_as.total_pages, len(best[1])
    check.template_first = best[0] is None or read_as.template == best[0]
    if not check.has_list:
        check.problem = "its page holds no list of articles in the platform's templates"
    return best[1]


def _sample(entries: list[ListEntry], path: str) -> list[ListEntry]:
    """The first articles listed, those under the column's own path first (a list may also
    hold articles of other columns)."""
    own = [e for e in entries if urlsplit(e.url).path.startswith(path)]
    return (own + [e for e in entries if e not in own])[:ARTICLES_CHECKED]


def _check_article(site: Site, visit: Visit, origin: str, url: str) -> ArticleCheck:
    profile = probe_profile(site, origin)
    urls = SiteUrls(profile, site.served)
    try:
        fetched = visit.get(urls.fetch_url(url))
    except (Disallowed, Unreachable) as exc:
        return ArticleCheck(url, problem=str(exc).rstrip("."))
    if fetched.status != 200:
        return ArticleCheck(url, fetched.status, problem=f"it answered HTTP {fetched.status}")
    reading = ArticleExtractor(profile, urls).read(fetched.body, fetched.content_type, url)
    if reading.extracted is None:
        return ArticleCheck(url, fetched.status, problem=reading.problem or "it holds no article")
    record, provenance = reading.extracted.record, reading.extracted.provenance
    fallback = set(provenance.get("fallback", "").split(","))
    missed = [name for name in NEEDED if not getattr(record, name) or name in fallback]
    published = record.published_at.isoformat() if record.published_at else ""
    problem = f"the platform's rules did not read its {', '.join(missed)}" if missed else ""
    return ArticleCheck(url, fetched.status, record.title, published, len(record.body), problem)
