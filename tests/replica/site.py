"""Routing and page assembly: a request path on the current day becomes a Response."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache

from . import assets, extras, files, mirror, pages, replatform, textgen, truth
from . import vocabulary as vocab
from .faults import Decision, FaultSettings, FaultState, path_fault
from .model import (
    CANONICAL_ORIGIN,
    LIST_PATH,
    SHANGHAI,
    XXGK_COLUMN_PATH,
    Article,
    Content,
    Options,
)
from .timeline import STRICT_DISALLOW, ListEntry, Timeline

ARTICLE_PATHS = (
    re.compile(rf"^{re.escape(LIST_PATH)}\d{{6}}/t\d{{8}}_(\d+)\.html$"),
    re.compile(r"^/col14317/col14320/col14328/col14329/\d{6}/t\d{8}_(\d+)\.html$"),
    re.compile(r"^/art/\d{4}/\d{1,2}/\d{1,2}/art_14329_(\d+)\.html$"),
)
LIST_PAGE = re.compile(rf"^{re.escape(LIST_PATH)}(?:index(?:_([1-9]\d*))?\.html)?$")
ASSET_FILE = re.compile(r"^/(?:col\d+/)+\d{6}/((?:W0|P0)\d{8,}\.(?:jpg|png|pdf|docx|xls))$")
STATIC_FILES = {
    "/js/common.js": (pages.COMMON_JS, "application/javascript; charset=utf-8"),
    "/css/style.css": (pages.STYLE_CSS, "text/css; charset=utf-8"),
}
HTML_UTF8 = "text/html; charset=utf-8"
SIDE_POOL = 50  # 相关新闻 picks 5 of the day's 50 newest listed articles


@dataclass
class Response:
    """What the HTTP layer sends; kind is the stats bucket (list/article/asset/other). A body
    too big to hold (--files oversized) is stream() instead, of length bytes."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    kind: str = "other"
    truncate: bool = False  # send half the body under a full Content-Length, then close
    stream: Callable[[], Iterator[bytes]] | None = None
    length: int = 0  # the streamed body's length

    @property
    def content_length(self) -> int:
        return self.length if self.stream is not None else len(self.body)


@dataclass(frozen=True)
class Compiled:
    """A rendered page split at its slots: static bytes at even indices, slot names at odd."""

    parts: tuple[bytes | str, ...]
    encoding: str
    etag: str


def compile_page(html: str, encoding: str) -> Compiled:
    pieces = html.split(pages.SLOT)
    parts = tuple(p.encode(encoding) if i % 2 == 0 else p for i, p in enumerate(pieces))
    etag = '"' + hashlib.sha256(html.encode("utf-8")).hexdigest()[:20] + '"'
    return Compiled(parts, encoding, etag)


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def not_modified(headers: Mapping[str, str], etag: str, last_modified: datetime | None) -> bool:
    """If-None-Match wins when present; else If-Modified-Since at or after Last-Modified."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return etag in tags or "*" in tags
    since = headers.get("If-Modified-Since")
    if since is None or last_modified is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    return when.tzinfo is not None and when >= last_modified.replace(microsecond=0)


def html_response(status: int, html: str, kind: str = "other") -> Response:
    """A fixed page; its footer clock (the one slot such pages have) shows the time of the request."""
    now = datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    body = html.replace(pages.slot("now"), now).encode("utf-8")
    return Response(status, body, [("Content-Type", HTML_UTF8)], kind)


class Site:
    """The replica's pages for the current simulated day (self.day may change at any time)."""

    def __init__(
        self,
        options: Options,
        faults: FaultSettings | None = None,
        templates: replatform.TemplateSettings | None = None,
    ) -> None:
        self.options = options
        self.faults = FaultState(faults)
        # replaced whole (never mutated), so a request reads one consistent setting
        self.templates = templates or replatform.TemplateSettings()
        self.timeline = Timeline(options)
        self.day = options.day
        self.views: dict[int, itertools.count] = {}
        self.compiled_article = lru_cache(maxsize=4096)(self._compile_article)
        self.compiled_list = lru_cache(maxsize=512)(self._compile_list)
        self.side_items = lru_cache(maxsize=8)(self._side_items)
        self.dated_side_items = lru_cache(maxsize=8)(self._dated_side_items)
        self.truth_json = lru_cache(maxsize=4)(self._truth_json)
        self.simple = lru_cache(maxsize=16)(self._simple)
        self.compiled_extra = lru_cache(maxsize=64)(self._compile_extra)
        self.mirror_origin: str | None = None  # set once the mirror host listens (--mirror)

    # --- dispatch

    def get(self, path: str, headers: Mapping[str, str], host: str) -> Response:
        day = self.day  # one day (and template) for the whole request, even if switched meanwhile
        templates = self.templates
        if path in ("/", "/index.html"):
            return self.compiled_response(self.simple(day, "home"), headers, "other")
        if pages.SECTION_PATH and path in (pages.SECTION_PATH, f"{pages.SECTION_PATH}index.html"):
            return self.compiled_response(self.simple(day, "news"), headers, "other")
        if path == "/robots.txt":
            text = pages.robots_txt(self.options.robots, STRICT_DISALLOW)
            return Response(200, text.encode(), [("Content-Type", "text/plain; charset=utf-8")])
        if path in STATIC_FILES:
            text, content_type = STATIC_FILES[path]
            return Response(200, text.encode(), [("Content-Type", content_type)], "asset")
        if match := LIST_PAGE.match(path):
            return self.list_response(int(match.group(1) or 0), day, headers)
        if (spec := self.timeline.extras.files.by_path.get(path)) is not None:
            return self.file_response(spec, day, headers)
        if match := ASSET_FILE.match(path):
            return self.asset_response(match.group(1), headers)
        for pattern in ARTICLE_PATHS:
            if match := pattern.match(path):
                doc_id = int(match.group(1))
                return self.article_response(path, doc_id, day, templates, headers, host)
        return html_response(404, pages.NOT_FOUND_PAGE)

    # --- files (W0…/P0…; --files)

    def asset_response(self, name: str, headers: Mapping[str, str]) -> Response:
        """Any W0…/P0… name: its bytes never change; Last-Modified from the date in its name."""
        extension = name.rsplit(".", 1)[1]
        blob = assets.blob(name, extension)
        content_type = assets.CONTENT_TYPES[extension]
        return file_served(blob, content_type, assets.uploaded(name), headers)

    def file_response(self, spec: files.FileSpec, day: int, headers: Mapping[str, str]) -> Response:
        """A --files file on the day: its bytes of the day, or the site's 404 once it vanished."""
        if spec.missing_on(day) or spec.served_type is None:
            return html_response(404, pages.NOT_FOUND_PAGE, "asset")
        version = spec.version_on(day)
        blob = files.blob(spec, version)
        return file_served(blob, spec.served_type, version.modified, headers)

    # --- articles

    def article_response(
        self,
        path: str,
        doc_id: int,
        day: int,
        templates: replatform.TemplateSettings,
        headers: Mapping[str, str],
        host: str,
    ) -> Response:
        found = self.timeline.lookup(path, doc_id, day)
        if found is None:
            extra = self.timeline.extras.find(path, day)
            if extra is not None:
                return self.extra_response(extra, day, templates, headers, host)
            return html_response(404, pages.NOT_FOUND_PAGE, "article")
        key, role = found
        state = self.timeline.state_on(key, day)
        if role == "canonical" and state.state != "live":
            special = self.special_response(state.state, state.moved_to, host)
            if special is not None:
                return special
        served = self.timeline.served_path(key, day)
        compiled = self.compiled_article(key, state.version, served, templates.in_force(day))
        content_modified = self.timeline.last_modified(key, day)
        last_modified = templates.page_modified(content_modified, day, self.options)
        validators = [("ETag", compiled.etag), ("Last-Modified", http_date(last_modified))]
        truncated = state.state == "truncated"  # a fault: validators are ignored that day
        if not truncated and not_modified(headers, compiled.etag, last_modified):
            return Response(304, b"", validators, "article")
        article = self.timeline.article(key)
        header_charset = article.features.charset_declared == "header+meta"
        content_type = HTML_UTF8 if header_charset else "text/html"
        body = self.render(compiled, self.article_slots(key, day))
        return Response(
            200, body, [("Content-Type", content_type), *validators], "article", truncated
        )

    def special_response(self, state: str, moved_to: str | None, host: str) -> Response | None:
        """Pages for an article that is not simply live at its original URL."""
        if state == "moved" and moved_to:
            return Response(301, b"", [("Location", f"http://{host}{moved_to}")], "article")
        if state == "not_found":
            return html_response(404, pages.NOT_FOUND_PAGE, "article")
        if state == "gone_410":
            return html_response(410, pages.GONE_PAGE, "article")
        if state == "soft_404":
            return html_response(200, pages.SOFT_404_PAGE, "article")
        if state == "challenge":
            return html_response(412, pages.CHALLENGE_PAGE, "article")
        if state == "server_error":
            return html_response(500, pages.SERVER_ERROR_PAGE, "article")
        if state == "redirect_home":
            return Response(302, b"", [("Location", f"http://{host}/")], "article")
        return None  # unlisted and truncated articles are served as pages

    def _compile_article(self, key: int, version: int, served: str, template: str) -> Compiled:
        article = self.timeline.article(key)
        content = self.timeline.content_on_version(key, version)
        return compile_article(article, content, served, template)

    def extra_response(
        self,
        index: int,
        day: int,
        templates: replatform.TemplateSettings,
        headers: Mapping[str, str],
        host: str,
    ) -> Response:
        """A --duplicates, --invalid or --hostile page: served like an article, always live.
        Its compiled page is cached (the 1 MB --hostile page too); host fills the absolute
        beacon URL of the hostile_markup page."""
        extra = self.timeline.extras.items[index]
        content = self.timeline.extras.content(index, day)
        compiled = self.compiled_extra(extra, content, templates.in_force(day))
        last_modified = templates.page_modified(extra.article.published, day, self.options)
        validators = [("ETag", compiled.etag), ("Last-Modified", http_date(last_modified))]
        if not_modified(headers, compiled.etag, last_modified):
            return Response(304, b"", validators, "article")
        slots = self.view_slots(extra.article.key, extra.article.doc_id, day)
        slots["host"] = lambda: pages.attr(host)
        body = self.render(compiled, slots)
        return Response(200, body, [("Content-Type", HTML_UTF8), *validators], "article")

    @staticmethod
    def _compile_extra(extra: extras.Extra, content: Content, template: str) -> Compiled:
        return compile_article(extra.article, content, extra.path, template)

    def article_slots(self, key: int, day: int) -> dict[str, Callable[[], str]]:
        return self.view_slots(key, self.timeline.doc_ids[key], day)

    def view_slots(self, key: int, doc_id: int, day: int) -> dict[str, Callable[[], str]]:
        """An article page's volatile slots; key names its view counter."""
        start = 100 + doc_id % 900
        counter = self.views.setdefault(key, itertools.count(start))
        return {
            "views": lambda: str(next(counter)),
            "token": lambda: secrets.token_hex(16),
            "bust": lambda: str(random.randrange(10**9)),
            "related_dated": lambda: self.related_dated(day),  # the re-platformed template's
            **self.common_slots(day),
        }

    def related_dated(self, day: int) -> str:
        items = self.dated_side_items(day)
        return "".join(random.sample(items, min(5, len(items))))

    def common_slots(self, day: int) -> dict[str, Callable[[], str]]:
        items = self.side_items(day)
        return {
            "now": lambda: datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
            "related": lambda: "".join(random.sample(items, min(5, len(items)))),
            "hot": lambda: "".join(random.sample(items[:10], min(5, len(items)))),
        }

    @staticmethod
    def render(compiled: Compiled, slots: Mapping[str, Callable[[], str]]) -> bytes:
        out = []
        for index, part in enumerate(compiled.parts):
            if index % 2 == 0:
                out.append(part)
            else:
                out.append(slots[part]().encode(compiled.encoding))
        return b"".join(out)  # type: ignore[arg-type]

    def _side_items(self, day: int) -> list[str]:
        entries = [e for e in self.timeline.listing(day) if e.kind == "article"][:SIDE_POOL]
        return [
            f'<li><a href="{self.list_href(e.key, day, "root")}" target="_blank">'
            f"{pages.text(pages.shown_title(self.timeline.content_on(e.key, day).title))}</a></li>"
            for e in entries
        ]

    def _dated_side_items(self, day: int) -> list[str]:
        """The re-platformed 相关文章 pool: the side block's articles, each with its date."""
        entries = [e for e in self.timeline.listing(day) if e.kind == "article"][:SIDE_POOL]
        return [
            replatform.related_item(
                self.list_href(e.key, day, "root"),
                pages.shown_title(self.timeline.content_on(e.key, day).title),
                f"{self.timeline.published_at(e.key, day):%Y-%m-%d}",
            )
            for e in entries
        ]

    # --- lists and simple pages

    def list_response(self, page: int, day: int, headers: Mapping[str, str]) -> Response:
        if page >= self.timeline.list_pages(day):
            return html_response(404, pages.NOT_FOUND_PAGE, "list")
        return self.compiled_response(self.compiled_list(day, page), headers, "list")

    def compiled_response(self, compiled: Compiled, headers: Mapping[str, str], kind: str):
        validators = [("ETag", compiled.etag)]
        if not_modified(headers, compiled.etag, None):
            return Response(304, b"", validators, kind)
        body = self.render(compiled, self.common_slots(self.day))
        return Response(200, body, [("Content-Type", HTML_UTF8), *validators], kind)

    def _compile_list(self, day: int, page: int) -> Compiled:
        size = self.options.per_page
        entries = self.timeline.listing(day)[page * size : (page + 1) * size]
        items = [self.list_item(entry, day) for entry in entries]
        template = self.options.template
        html = pages.list_page(template, items, self.timeline.list_pages(day), page)
        return compile_page(html, "utf-8")

    def list_item(self, entry: ListEntry, day: int) -> str:
        anchor = self.timeline.article(entry.key).published
        if entry.kind == "offsite":
            title, href = self.extra_item("offsite"), textgen.OFFSITE_LINK.format(n=487921)
        elif entry.kind == "attachment":
            digits = f"{self.timeline.doc_ids[entry.key] * 7919 % 10**12:012d}"
            title = self.extra_item("attachment")
            href = f"./{anchor:%Y%m}/P0{anchor:%Y%m%d}{digits}.pdf"
        elif entry.kind == "extra":
            extra = self.timeline.extras.items[entry.key]
            content = self.timeline.extras.content(entry.key, day)
            title, anchor = content.title, content.published_at
            href = pages.href_for(extra.path, extra.href_style)
        else:
            article = self.timeline.article(entry.key)
            title = self.timeline.content_on(entry.key, day).title
            href = self.list_href(entry.key, day, article.features.href_style)
            if trap := self.timeline.extras.trap_kind(entry.key):
                path = self.timeline.listed_path(entry.key, day)
                href = extras.trap_href(trap, path, article.features.href_style)
            anchor = self.timeline.published_at(entry.key, day)
        return pages.list_item(self.options.template, href, title, f"{anchor:%Y-%m-%d}")

    def extra_item(self, kind: str) -> str:
        rng = random.Random(f"{self.options.seed}:extra:{kind}")
        templates = vocab.OFFSITE_TITLES if kind == "offsite" else vocab.ATTACHMENT_TITLES[:1]
        fields = {"topic": rng.choice(vocab.TOPICS), "year": str(self.options.start_date.year)}
        return rng.choice(templates).format_map(fields)

    def list_href(self, key: int, day: int, style: str) -> str:
        """The link a list item uses: legacy URL as is; others where the content lives."""
        return pages.href_for(self.timeline.listed_path(key, day), style)

    def _simple(self, day: int, which: str) -> Compiled:
        entries = [e for e in self.timeline.listing(day) if e.kind == "article"][:8]
        links = [
            (self.list_href(e.key, day, "root"), self.timeline.content_on(e.key, day).title)
            for e in entries
        ]
        more = extras.HOME_TRAP if self.options.duplicates else LIST_PATH
        html = pages.home_page(links, more) if which == "home" else pages.news_root_page(links)
        return compile_page(html, "utf-8")

    # --- the mirror host (--mirror)

    def mirror_get(self, path: str) -> Response:
        """A damaged copy of a mirrored article at its own path; anything else 404s."""
        day = self.day
        key = mirror.lookup(self.timeline, path, day)
        if key is None:
            return html_response(404, mirror.NOT_FOUND_PAGE, "article")
        html = mirror.mirror_page(mirror.copy_on(self.timeline, key, day))
        return html_response(200, html, "article")

    # --- fault modes (--faults, --block)

    def fault_page(self, path: str, day: int) -> tuple[str, str] | None:
        """(page path, stats kind) when path names a faultable page on the day: a list page
        (index.html is page 0, named by the list path) or an article-shaped path the site
        serves (canonical, moved, --duplicates, --invalid and --hostile pages); else None."""
        if match := LIST_PAGE.match(path):
            page = int(match.group(1) or 0)
            if page >= self.timeline.list_pages(day):
                return None
            return list_page_path(page), "list"
        for pattern in ARTICLE_PATHS:
            if match := pattern.match(path):
                known = self.timeline.lookup(path, int(match.group(1)), day) is not None
                if known or self.timeline.extras.find(path, day) is not None:
                    return path, "article"
                return None
        return None

    def fault_pages(self, day: int) -> list[str]:
        """Every faultable page on the day: list pages, then articles by rank, then extras."""
        timeline = self.timeline
        paths = [list_page_path(page) for page in range(timeline.list_pages(day))]
        for key in range(timeline.published_count(day)):
            canonical = timeline.canonical_path(key)
            served = timeline.served_path(key, day)
            paths += [canonical] if served == canonical else [canonical, served]
        paths += [timeline.extras.items[index].path for index in timeline.extras.existing(day)]
        return paths

    def fault_decision(self, path: str, loop_hop: bool, now: float) -> tuple[Decision, str] | None:
        """The fault decision for a request (None: not faultable or not faulted) and the page's
        stats kind. The block challenges every list- or article-shaped path, known or not."""
        if self.faults.settings.block:
            if LIST_PAGE.match(path):
                return Decision("block", False), "list"
            if any(pattern.match(path) for pattern in ARTICLE_PATHS):
                return Decision("block", False), "article"
            return None
        page = self.fault_page(path, self.day)
        if page is None:
            return None
        decision = self.faults.decide(page[0], loop_hop, now)
        return None if decision is None else (decision, page[1])

    def faulted(self, day: int, settings: FaultSettings) -> list[dict[str, object]]:
        """The truth's "faulted": the faulted pages of the day under these settings."""
        if settings.rate <= 0:
            return []
        found = ((path, path_fault(settings, path)) for path in self.fault_pages(day))
        return [
            {"path": path, "kind": fault.kind, "failures": fault.failures}
            for path, fault in found
            if fault is not None
        ]

    # --- control data

    def _truth_json(
        self, day: int, settings: FaultSettings, templates: replatform.TemplateSettings
    ) -> bytes:
        faulted = self.faulted(day, settings)
        in_force = None if templates.is_default else templates.in_force(day)
        document = truth.site_truth(self.timeline, day, self.mirror_origin, faulted, in_force)
        return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")

    def set_day(self, day: int) -> None:
        if not 1 <= day <= self.options.days:
            raise ValueError(f"day must be between 1 and {self.options.days}")
        self.day = day

    def day_info(self) -> dict[str, object]:
        """The day and its date; with a re-platform configured, also the template in force."""
        day, templates = self.day, self.templates
        info: dict[str, object] = {"day": day, "date": self.options.date_of(day).isoformat()}
        if not templates.is_default:
            info["article_template"] = templates.in_force(day)
        return info

    def set_templates(self, templates: replatform.TemplateSettings) -> None:
        """Switch the article template setting; pages change at once (the caches are keyed by
        the template in force)."""
        self.templates = templates

    def templates_info(self) -> dict[str, object]:
        return self.templates.document(self.day)


def file_served(
    blob: assets.Blob, content_type: str, last_modified: datetime, headers: Mapping[str, str]
) -> Response:
    """A file with its validators (ETag from its bytes), or 304 when the request's match."""
    validators = [("ETag", blob.etag), ("Last-Modified", http_date(last_modified))]
    if not_modified(headers, blob.etag, last_modified):
        return Response(304, b"", validators, "asset")
    headers_out = [("Content-Type", content_type), *validators]
    return Response(200, blob.body, headers_out, "asset", stream=blob.chunks, length=blob.length)


def list_page_path(page: int) -> str:
    return LIST_PATH if page == 0 else f"{LIST_PATH}index_{page}.html"


def compile_article(
    article: Article, content: Content, served: str, template: str = replatform.PLATFORM
) -> Compiled:
    """An article page in the template its serving path calls for, or, when the re-platformed
    template is in force, in that one (the same for every serving path)."""
    url = CANONICAL_ORIGIN + served
    if template == replatform.REPLATFORMED:
        html = replatform.article_page(article, content, truth.served_template(served))
    elif served.startswith("/art/"):
        html = pages.legacy_article(article, content)
    elif served.startswith(XXGK_COLUMN_PATH):
        html = pages.xxgk_article(article, content, url)
    else:
        seconds = article.features.time_variant == "seconds"
        html = pages.news_article(article, content, url, seconds)
    return compile_page(html, article.features.encoding)
