"""Reading an article from any government or news page, without a site profile's rules."""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

from lxml.html import HtmlElement
from parsel import Selector

from archive.text.fold import fold_spaces
from crawler.extract.css import select
from crawler.extract.dates import DATE_IN_TEXT, normalize_date_text, parse_date_with_precision
from crawler.extract.decoding import decode_html
from crawler.extract.text import BLOCK_TAGS, SKIPPED_TAGS, inline_text, paragraphs

Found = tuple[str, str]  # (value, how it was found: "meta:PubDate", "generic:h1", …)

# Elements never content inside a body block: share bars, print/close, font size, QR codes,
# prev/next, related links, footers, forms and scripts.
BOILERPLATE_SELECTORS: tuple[str, ...] = (
    "script", "style", "noscript", "iframe", "form", "input", "select", "button", "nav",
    "footer", ".share", ".bdsharebuttonbox", ".bdshare", ".fenxiang", ".bshare-custom",
    ".print", ".dayin", ".close", ".fontsize", ".font-size", ".zihao", ".ewm", ".qrcode",
    ".erweima", ".prev-next", ".pre-next", ".prevnext", ".sxp", ".xgxw", ".xglj",
    ".related", ".relate", ".rdxw", ".footer", ".foot", "#footer", ".bottom",
    ".editor-share", ".article-share", ".tool", ".tools", ".page-tool",
    # javascript: links in a body are its controls (纠错, 打印, 字号), never its text.
    "a[href^='javascript']", "a[href^='JavaScript']",
)  # fmt: skip

_META_LABELS = (
    r"发布时间|发布日期|来源|信息来源|文章来源|稿件来源|浏览次数|点击数|访问量|阅读次数|字号|字体"
)
_META_LABEL = re.compile(_META_LABELS)
# Whole lines never content (searched, so each anchors itself).
BOILERPLATE_LINES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        r"^[【\[(（]?\s*(打印本页|打印文章|打印|关闭窗口|关闭本页|关闭|返回顶部|收藏本页|加入收藏)\s*[】\])）]?"
        r"(\s*[【\[(（]?\s*(打印本页|打印文章|打印|关闭窗口|关闭本页|关闭|返回顶部|收藏本页|加入收藏)\s*[】\])）]?)*$",
        r"^[【\[]?\s*(字体|字号)\s*[:：]?\s*[【\[]?\s*大\s*中\s*小",
        r"^(扫一扫|微信扫一扫|手机扫一扫|用手机扫描|扫描二维码).{0,20}$",
        r"^.{0,10}(在手机打开当前页|分享到手机|手机上打开)",
        r"^(上一篇|下一篇|上一条|下一条)\s*[:：]?",
        r"^(相关链接|相关阅读|相关新闻|相关文章|相关稿件|延伸阅读|热点推荐|推荐阅读)\s*[:：]?\s*$",
        r"(ICP\s*备|ICP\s*证|公网安备|公安备案|京公网|网站标识码|网站识别码)",
        r"^(版权所有|Copyright|©|主办单位|主办\s*[:：]|承办\s*[:：]|技术支持)",
        r"^分享到\s*[:：]?",
        r"^(免责)?声明\s*[:：].{0,30}(仅供参考|不构成|转载|版权|风险)",
        r"^(本文|本网|本站).{0,20}(转载|版权|仅供参考|不代表)",
        r"^当前位置\s*[:：]",
        r"^(您现在的位置|您的位置|所在位置)\s*[:：]?",
        r"^首\s*页\s*[>›»]",
        rf"^[【\[(（]?\s*({_META_LABELS})\s*[:：].{{0,80}}$",
        r"^(浏览|阅读|访问)\s*[:：]?\s*\d+\s*次?$",
        # Page numbers of an article in pages (【1】【2】【3】, 1 2 3 下一页) and "more" links.
        r"^(上一页\s*)?[【\[]?\s*\d{1,3}\s*[】\]]?(\s*[【\[]?\s*\d{1,3}\s*[】\]]?)+(\s*下一页)?$",
        r"^.{0,30}(>>|»)$",
        r"^【?\s*(纠错|我要纠错|收藏|打印|关闭)\s*】?(\s*【?\s*(纠错|我要纠错|收藏|打印|关闭)\s*】?)*$",
    )
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Class or id words of blocks that are page furniture, never the article or around it.
_FURNITURE_WORDS = _words(
    "nav navbar menu footer foot share comment comments related relate sidebar breadcrumb crumb "
    "copyright xgxw xglj rdxw banner search login pagination pager fenxiang bdshare qrcode ewm "
    "friend yqlj ad ads"
)
# Words that discount a block's own score but not what it holds: article pages often sit in
# layout blocks named like lists or sides ("list_right", "side_main").
_WEAK_FURNITURE_WORDS = _words(
    "list lists side links link bottom header toolbar tool tools tab tabs hot rank"
)
_ALL_FURNITURE_WORDS = _FURNITURE_WORDS | _WEAK_FURNITURE_WORDS
_TITLE_WORDS = _words("title bt tit biaoti headline heading arttitle wztitle zwbt")
_WORD_SPLIT = re.compile(r"[\s_\-]+|\d+")
# Sentence punctuation: text that has it is prose, not a menu or a date line.
_PROSE = re.compile(r"[，。；！？、,;]")

# Meta tags in the order they are trusted: the national standard's first.
_DATE_META = (
    "pubdate", "publishdate", "firstpublishedtime", "article:published_time",
    "og:article:published_time", "publish_time", "publishtime", "releasedate", "og:release_date",
    "dc.date.issued", "dcterms.issued", "datepublished", "dc.date", "date",
)  # fmt: skip
_SOURCE_META = ("contentsource", "source", "og:article:source")
_COLUMN_META = ("columnname", "column", "og:article:section", "article:section")
# Labels in the order they are trusted.
_DATE_LABELS = ("发布时间", "发布日期", "发稿时间", "发表时间", "更新时间", "时间", "日期")
_PUBLISHED_LABELS = ("发布时间", "发布日期", "发稿时间", "发表时间")
_SOURCE_LABELS = ("文章来源", "信息来源", "稿件来源", "来源于", "来源", "发布机构", "发布单位")
# A label's value ends where another label, a bracket, a separator or a date starts.
_STOP_LABELS = (
    "发布时间|发布日期|发稿时间|更新时间|时间|日期|来源|作者|编辑|责任编辑|记者|通讯员|浏览次数|"
    "浏览量|点击数|点击率|访问量|阅读|字号|字体|分享|打印|关闭|索引号|发布机构|文号"
)
# 成文日期 (when a document was signed), 生效日期, 截止时间, 印发日期, 有效期 are not publication dates.
_LABEL_LEAD = r"(?<![文效止发期])"
_VALUE_END = rf"(?=\s*(?:{_STOP_LABELS})\s*[:：]|[【】\[\]|｜()（）]|\s|\d{{4}}\s*[-/.年]|$)"

# A heading: between these lengths, on one line.
_TITLE_CHARS = (4, 120)
# Site-name endings of <title>: "标题 - 某某人民政府", "标题_某某网", "标题|频道".
_TITLE_SEPARATOR = re.compile(r"\s*(?:[_|｜]|\s[-–—]{1,2}\s|--|-)\s*")
_SITE_NAME = re.compile(r"(政府|网|网站|门户|平台|首页|频道|中心|在线|新闻|办公室|委员会|局)$")
# The least a body block scores (about this many characters of prose).
_MIN_BODY_SCORE = 40.0
# A sentence of a dozen characters with its punctuation, in a <p>.
_MIN_SHORT_BODY_SCORE = 15.0
# The share of the best block's score a block inside it must hold to be the body block instead.
_HELD_SHARE = 0.8


@dataclass(frozen=True)
class GenericRecord:
    """What the generic reading found; `body` is paragraphs joined by newlines."""

    title: str
    published_at: datetime | None
    published_precision: str | None  # "day", "minute" or "second": as precise as the page says
    source: str
    column: str
    body: str
    provenance: dict[str, str] = field(default_factory=dict)


@dataclass
class _Page:
    """What several fields need of one parsed page, computed once per reading: its text runs,
    its body block and (when asked for) its heading. The page is never modified."""

    root: HtmlElement
    meta: Mapping[str, str]
    chunks: list[_Chunk]
    body: tuple[HtmlElement, str] | None

    @cached_property
    def heading(self) -> HtmlElement | None:
        return _find_heading(self)

    @property
    def block(self) -> HtmlElement | None:
        return self.body[0] if self.body else None

    @cached_property
    def zone(self) -> list[str]:
        """The short lines next to the heading (_heading_zone), read once for every field."""
        return _heading_zone(self)

    @cached_property
    def order(self) -> dict[HtmlElement, int]:
        """Each element's place in document order."""
        return {element: place for place, element in enumerate(_iter(self.root))}


def _read_page(root: HtmlElement, meta: Mapping[str, str]) -> _Page:
    chunks = [chunk for chunk in _page_chunks(root) if chunk.chars]
    page = _Page(root, meta, chunks, _densest(root, chunks))
    if page.body is None:
        # A notice of one or two sentences (具体见附件) is an article too when its prose sits
        # right under the page's heading: there, and only there, a lower score is enough.
        short = _densest(root, chunks, _MIN_SHORT_BODY_SCORE)
        if short is not None:
            candidate = _Page(root, meta, chunks, short)
            if _right_under_heading(candidate):
                return candidate
    return page


def _right_under_heading(page: _Page) -> bool:
    """Whether the body's first line comes within a few non-prose lines after the heading."""
    heading, block = page.heading, page.block
    if heading is None or block is None:
        return False
    lines = [(_in_or_is(c.container, heading), _in_or_is(c.container, block)) for c in page.chunks]
    at = next((i for i, (in_heading, _) in enumerate(lines) if in_heading), None)
    if at is None:
        return False
    first = next((i for i in range(at + 1, len(lines)) if lines[i][1] and not lines[i][0]), None)
    return first is not None and first - at <= 4 and _is_prose(page.chunks[first])


@dataclass
class _Chunk:
    """A run of text between block boundaries, and the innermost block it lies in."""

    text: str
    container: HtmlElement
    chars: int
    link_chars: int


def meta_tags(root: HtmlElement) -> dict[str, str]:
    """The page's <meta name|property|itemprop> contents by lower-cased name; the first wins."""
    meta: dict[str, str] = {}
    for element in root.xpath("//meta[@name or @property or @itemprop]"):
        attribute = element.get("name") or element.get("property") or element.get("itemprop")
        name = (attribute or "").strip().lower()
        content = fold_spaces(element.get("content") or "")
        if name and content:
            meta.setdefault(name, content)
    return meta


def read_generic(
    body: bytes,
    url: str,
    content_type: str | None = None,
    timezone: ZoneInfo = ZoneInfo("Asia/Shanghai"),  # noqa: B008  (immutable, as the API says)
) -> GenericRecord | None:
    """The article of the page at `url`, every field found generically; None without a title or
    a body. The body's boilerplate elements and lines are dropped, and so are a repeat of the title
    and the 来源/发布时间 line at its head."""
    decoded = decode_html(body, content_type)
    root = Selector(text=decoded.text or "<html></html>").root
    page = _read_page(root, meta_tags(root))
    title = _title(page)
    if not title or not title[0] or page.body is None:
        return None
    block, body_rule = page.body
    lines = body_lines(block, title[0])
    if not lines:
        return None
    label_text = "\n".join([*_label_lines(page, block), *paragraphs(block)[:4]])
    published = _published(page, label_text) or _date_in_url(url)
    moment = parse_date_with_precision(published[0], timezone) if published else None
    source = _source(page, label_text)
    column = find_column(root, page.meta)
    provenance = {
        "encoding": decoded.describe(),
        "title": title[1],
        "published_at": published[1] if moment and published else "none",
        "source": source[1] if source else "none",
        "column": column[1] if column else "none",
        "body": body_rule,
    }
    return GenericRecord(
        title=title[0],
        published_at=moment[0] if moment else None,
        published_precision=moment[1] if moment else None,
        source=source[0] if source else "",
        column=column[0] if column else "",
        body="\n".join(lines),
        provenance=provenance,
    )


def body_lines(block: HtmlElement, title: str = "") -> list[str]:
    """The paragraphs of the body block without its boilerplate elements and lines (the
    来源/发布时间 line among them), and without the title repeated at its head."""
    lines = [line for line in paragraphs(without_boilerplate(block)) if not is_boilerplate(line)]
    # The title at the head, on one line or broken over several by <br>.
    title_key, head = _key(title), ""
    for count, line in enumerate(lines, 1):
        head += _key(line)
        if not title_key or not title_key.startswith(head):
            break
        if head == title_key:
            return lines[count:]
    return lines


def without_boilerplate(block: HtmlElement) -> HtmlElement:
    """A copy of `block` with BOILERPLATE_SELECTORS removed (the page stays whole)."""
    block = copy.deepcopy(block)
    for element in select(block, ", ".join(BOILERPLATE_SELECTORS)):
        if element is not block:
            element.drop_tree()
    return block


def is_boilerplate(line: str) -> bool:
    return _BOILERPLATE_START.match(line) is not None or any(
        pattern.search(line) for pattern in _BOILERPLATE_ANYWHERE
    )


# The patterns anchored at a line's start as one, tried there once; the others searched apart
# (in one alternation with them, every branch would be tried at every position).
_BOILERPLATE_START = re.compile(
    "|".join(f"(?:{p.pattern[1:]})" for p in BOILERPLATE_LINES if p.pattern.startswith("^"))
)
_BOILERPLATE_ANYWHERE = tuple(p for p in BOILERPLATE_LINES if not p.pattern.startswith("^"))


# --- title ---------------------------------------------------------------------------------


def find_title(root: HtmlElement, meta: Mapping[str, str]) -> Found | None:
    """ArticleTitle, else the article's heading (the one <title> or og:title agree with, else the
    last heading before the body), else og:title, else <title> without the site's name."""
    return _title(_read_page(root, meta))


def _title(page: _Page) -> Found | None:
    meta = page.meta
    if meta.get("articletitle"):
        return meta["articletitle"], "meta:ArticleTitle"
    heading = page.heading
    if heading is not None:
        return heading_text(heading), f"generic:{heading.tag}"
    if meta.get("og:title"):
        return cut_site_name(meta["og:title"]), "meta:og:title"
    title_tag = _title_tag(page.root)
    if title_tag:
        return cut_site_name(title_tag), "generic:title-tag"
    return None


def cut_site_name(title: str) -> str:
    """`title` without the site and column names after it: "标题_某某人民政府" → "标题",
    "标题--政治--人民网" → "标题"; a dash inside the title ("2024-2025学年") stays."""
    title = fold_spaces(title)
    separators = list(_TITLE_SEPARATOR.finditer(title))
    end = len(title)
    for separator in reversed(separators):
        head, tail = title[: separator.start()], title[separator.end() : end]
        strong = separator.group(0).strip() in ("_", "|", "｜") or separator.group(0) != "-"
        site_like = bool(_SITE_NAME.search(tail)) or len(tail) <= 6
        if len(head) < _TITLE_CHARS[0] or not (site_like or (strong and len(tail) < len(head))):
            break
        end = separator.start()
    return title[:end].strip()


def _find_heading(page: _Page) -> HtmlElement | None:
    # The article part of <title> and og:title, as keys.
    titles = (_title_tag(page.root), page.meta.get("og:title", ""))
    articles = [key for key in (_key(cut_site_name(title)) for title in titles) if key]
    found = list(_heading_candidates(page.root, articles))
    candidates = [element for element, _ in found]
    keyed = [(_key(text), c) for c, text in found]
    agreed = [
        ((key in articles, len(key)), c)
        for key, c in keyed
        if any(_agrees(key, article) for article in articles)
        and (_placed_as_heading(c) or _is_the_title_heading(c, key, articles))
    ]
    block = page.block
    if agreed:
        # The title's article part exactly, else the longest agreeing heading (a site-name one,
        # "某某人民政府", is in <title> too); of equal ones (a share box repeats the title) the
        # last heading before the body.
        best = max(rank for rank, _ in agreed)
        same = [c for rank, c in agreed if rank == best]
        near = [c for c in same if block is None or _before_body(page, c, block)] or same
        return next((c for c in reversed(near) if _is_strong_heading(c)), near[-1])
    # No <title> to go by: the last heading before the body with a date line after it, else the
    # last <h1>/<h2> or title-named element before the body.
    before = [
        c
        for c in candidates
        if _is_heading(c)
        and _placed_as_heading(c)
        and (block is None or _before_body(page, c, block))
    ]
    dated = [c for c in before if _dated_after(c, page.chunks)]
    strong = [c for c in before if _is_strong_heading(c)]
    return (dated or strong or [None])[-1]


def _is_the_title_heading(element: HtmlElement, key: str, articles: list[str]) -> bool:
    """An <h1> saying exactly the title's article part is the heading, even in a block whose
    class names a sidebar (<aside class="…-aside"> holding the title and its date line)."""
    return element.tag == "h1" and key in articles and not element.xpath("ancestor-or-self::a")


def _before_body(page: _Page, element: HtmlElement, block: HtmlElement) -> bool:
    """Before the body block or in it (a body block may hold its heading)."""
    return page.order[element] < page.order[block] or _in_or_is(element, block)


def _dated_after(element: HtmlElement, chunks: list[_Chunk]) -> bool:
    """Whether one of the 3 lines after `element` has a date and is not prose."""
    at = next((i for i, chunk in enumerate(chunks) if _in_or_is(chunk.container, element)), None)
    following = chunks[at + 1 : at + 4] if at is not None else []
    return any(
        not _is_prose(c) and DATE_IN_TEXT.search(normalize_date_text(c.text)) for c in following
    )


def _heading_candidates(
    root: HtmlElement, articles: list[str]
) -> Iterator[tuple[HtmlElement, str]]:
    """Elements of a heading's length with no 来源/发布时间 label, with their heading_text: any
    of them may agree with <title> (`articles`: its keys); only headings and title-named ones
    are headings without that."""
    for element in _iter(root, *_HEADING_TAGS, "div", "td", "p", "span", "strong", "font", "b"):
        # text_content() first: cheap, and keeps the text runs off the page's big containers
        # and off the many lines that are neither a heading nor anything like the title.
        raw = element.text_content()
        if not _TITLE_CHARS[0] <= len(raw) <= 3 * _TITLE_CHARS[1]:
            continue
        if not (_is_heading(element) or _may_agree(_key(raw), articles)):
            continue
        lines = paragraphs(element)
        text = " ".join(lines)  # inline_text(element), from the same runs
        if not _TITLE_CHARS[0] <= len(text) <= _TITLE_CHARS[1] or _META_LABEL.search(text):
            continue
        yield element, _joined_heading(lines)


def _may_agree(raw_key: str, articles: list[str]) -> bool:
    """Whether text whose key is `raw_key` (scripts and all) may hold a heading agreeing with
    one of `articles`: it agrees itself, or holds one of them."""
    return any(_agrees(raw_key, article) or article in raw_key for article in articles)


def _placed_as_heading(element: HtmlElement) -> bool:
    """Outside links and furniture (a related-news box, a menu): where a heading may be. Checked
    only for the few candidates that matter, walking up from each is not cheap."""
    return not element.xpath("ancestor-or-self::a") and not _in_furniture(
        element, _HEADING_FURNITURE
    )


def _is_strong_heading(element: HtmlElement) -> bool:
    return element.tag in ("h1", "h2") or _has_words(element, _TITLE_WORDS)


def _is_heading(element: HtmlElement) -> bool:
    return element.tag in _HEADING_TAGS or _has_words(element, _TITLE_WORDS)


_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def heading_text(element: HtmlElement) -> str:
    """The text of a heading on one line; a line break between two CJK characters is no space
    (「关于批准…<br>调整…」 is one title)."""
    return _joined_heading(paragraphs(element))


def _joined_heading(lines: list[str]) -> str:
    text = ""
    for line in lines:
        joint = "" if _CJK.match(text[-1:]) and _CJK.match(line[:1]) else " "
        text = f"{text}{joint}{line}" if text else line
    return text


_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def _agrees(heading: str, article: str) -> bool:
    """A heading agrees with the article part of <title> (the site's name cut) when it is most of
    it, or when it starts with it and that part is most of the heading (a <title> cut short)."""
    if not heading:
        return False
    if heading in article:
        return len(heading) >= 0.5 * len(article)
    return heading.startswith(article) and len(article) >= 0.5 * len(heading)


def _title_tag(root: HtmlElement) -> str:
    found = root.xpath("//title")
    return inline_text(found[0]) if found else ""


# --- published, source, column -------------------------------------------------------------


def find_published(
    root: HtmlElement, meta: Mapping[str, str], text_outside_body: str
) -> Found | None:
    """The raw date text: a date meta tag, else a labelled date near the heading, else an unlabelled
    one there, else a labelled date anywhere outside the body. A meta tag's date gives way to the
    same day written with its time in the page. Dates in lists and footers are never taken."""
    return _published(_read_page(root, meta), text_outside_body)


def _published(page: _Page, text_outside_body: str) -> Found | None:
    meta = page.meta
    zone = page.zone
    shown = _labelled("\n".join(zone), _DATE_LABELS, _date_value)
    in_page = (
        shown
        or _unlabelled_date(zone)
        or _labelled(_without_footer_lines(text_outside_body), _DATE_LABELS, _date_value)
    )
    for name in _DATE_META:
        value = meta.get(name)
        if value and DATE_IN_TEXT.search(normalize_date_text(value)):
            if in_page and _finer_same_day(in_page[0], value):
                return in_page
            # Templates that write PubDate when the page is regenerated (a site move, a new
            # template) date every old article that day: the 发布日期 the reader is shown wins.
            if shown and _published_label(shown) and not _same_day(shown[0], value):
                return shown
            return value, f"meta:{_meta_name(name)}"
    return in_page or _completed_date("\n".join(zone), page.root, meta)


# A labelled date without its century or year (发布时间：09-30 22:46, 发布时间：18-03-08), as
# platforms print this year's posts.
_YEARLESS = re.compile(
    rf"(?:{'|'.join(_DATE_LABELS)})\s*[:：]\s*(?:(?P<yy>\d\d)-)?(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})"
    # The time may follow with no space between (<span>09-30</span><span>22:46</span>).
    r"(?:\s*(?P<hour>\d{1,2}):(?P<minute>\d\d)|(?!\d))"
)


def _completed_date(zone: str, root: HtmlElement, meta: Mapping[str, str]) -> Found | None:
    """A year-less labelled date near the heading, completed by the full date the page itself
    holds for the same day (and time): in a meta tag (an update time equal to it), its text or
    its scripts' data; never guessed."""
    found = _YEARLESS.search(normalize_date_text(zone))
    if found is None:
        return None
    wanted = {k: int(v) for k, v in found.groupdict().items() if v is not None}
    held = "\n".join([*meta.values(), root.text_content()])
    for full in DATE_IN_TEXT.finditer(normalize_date_text(held)):
        if _same_date(wanted, full):
            return full.group(0).strip(), "generic:near-title+page-data"
    return None


def _same_date(wanted: dict[str, int], full: re.Match[str]) -> bool:
    if "yy" in wanted and int(full.group("year")) % 100 != wanted["yy"]:
        return False
    parts = ("month", "day", "hour", "minute")
    return all(
        full.group(name) is not None and int(full.group(name)) == wanted[name]
        for name in parts
        if name in wanted
    )


def find_source(root: HtmlElement, meta: Mapping[str, str], text_outside_body: str) -> Found | None:
    """ContentSource, else the 来源 label near the heading, else another source meta tag, else the
    label anywhere outside the body."""
    return _source(_read_page(root, meta), text_outside_body)


def _source(page: _Page, text_outside_body: str) -> Found | None:
    # The national standard's ContentSource first; a news site's own "source" tag gives way to
    # the 来源 a reader sees under the heading.
    zone = "\n".join(page.zone)
    return (
        _meta_source(page.meta, ("contentsource",))
        or _labelled(zone, _SOURCE_LABELS, _source_value)
        or _meta_source(page.meta, _SOURCE_META)
        or _labelled(_without_footer_lines(text_outside_body), _SOURCE_LABELS, _source_value)
    )


def _meta_source(meta: Mapping[str, str], names: tuple[str, ...]) -> Found | None:
    for name in names:
        # Read like a label's value: "来源：人民网-文化频道 原创稿" is 人民网-文化频道.
        value = _source_value(
            re.sub(r"^(来源|信息来源|文章来源)\s*[:：]\s*", "", meta.get(name, ""))
        )
        if value:
            return value, f"meta:{_meta_name(name)}"
    return None


def find_column(root: HtmlElement, meta: Mapping[str, str]) -> Found | None:
    """ColumnName, else the last link of the breadcrumb (当前位置：首页 > 新闻 > 要闻)."""
    for name in _COLUMN_META:
        if meta.get(name):
            return meta[name], f"meta:{_meta_name(name)}"
    for element in _iter(root, "div", "p", "span", "td", "ul", "ol", "nav"):
        if len(element.text_content()) > 300:  # cheap first: a breadcrumb is one short line
            continue
        named = _has_words(element, _BREADCRUMB_WORDS)
        if named or _BREADCRUMB_START.match(inline_text(element)):
            links = [inline_text(a) for a in element.iter("a")]
            links = [text for text in links if text and text not in ("正文", "首页")]
            if links:
                return links[-1], "generic:breadcrumb"
    return None


_BREADCRUMB_WORDS = _words("position location crumb breadcrumb path route dqwz weizhi mbx")
_BREADCRUMB_START = re.compile(r"^(当前位置|您现在的位置|您的位置|所在位置)")


def _labelled(text: str, labels: tuple[str, ...], value_of: Callable[[str], str]) -> Found | None:
    """The value after the first of `labels` (in their order) that `text` has with a value:
    `来源：`, `来源:`, `【来源】`, `[来源] `, `来源 ` (any width of colon, any space)."""
    for label in labels:
        pattern = rf"{_LABEL_LEAD}{label}\s*[\]】]?\s*[:：]?\s*"
        for found in re.finditer(pattern, text):
            value = value_of(text[found.end() :])
            # A value on the next line is a table's next cell (<td>发布机构：</td><td>…</td>);
            # prose there is the text after an empty label (来源：), not its value.
            next_line = "\n" in found.group(0)
            if value and not (next_line and _PROSE.search(value)):
                return value, f"generic:label:{label}"
    return None


def _date_value(after_label: str) -> str:
    found = DATE_IN_TEXT.match(normalize_date_text(after_label[:40]))
    return found.group(0).strip() if found else ""


def _source_value(after_label: str) -> str:
    found = re.match(rf"(.{{1,40}}?){_VALUE_END}", after_label)
    value = found.group(1).strip() if found else ""
    # An empty label before a separator (来源：| 作者：…) has no value, not "|".
    if not re.search(r"\w", value) or DATE_IN_TEXT.match(value):
        return ""
    return value


def _unlabelled_date(lines: list[str]) -> Found | None:
    for line in lines:
        found = DATE_IN_TEXT.search(normalize_date_text(line))
        if found:
            return found.group(0).strip(), "generic:near-title"
    return None


def _published_label(found: Found) -> bool:
    return found[1].removeprefix("generic:label:") in _PUBLISHED_LABELS


def _same_day(one: str, other: str) -> bool:
    zone = ZoneInfo("UTC")  # only the written days are compared
    first, second = parse_date_with_precision(one, zone), parse_date_with_precision(other, zone)
    return first is not None and second is not None and first[0].date() == second[0].date()


def _finer_same_day(page_date: str, meta_date: str) -> bool:
    zone = ZoneInfo("UTC")  # only the written day and precision are compared
    page = parse_date_with_precision(page_date, zone)
    tagged = parse_date_with_precision(meta_date, zone)
    if page is None or tagged is None or page[0].date() != tagged[0].date():
        return False
    order = ("day", "minute", "second")
    return order.index(page[1]) > order.index(tagged[1])


def _date_in_url(url: str) -> Found | None:
    """The day in the URL: t20240207_123.html, /art/2024/2/7/art_1_2.html, /2024-02/07/c_1.htm,
    /202402/07/, /n1/2024/0207/."""
    for pattern in (
        r"/t(20\d\d)(\d\d)(\d\d)_",
        r"/art/(20\d\d)/(\d{1,2})/(\d{1,2})/",
        r"/(20\d\d)-?(\d\d)/?(\d\d)/",
        r"/(20\d\d)/(\d\d)(\d\d)/",
    ):
        found = re.search(pattern, url)
        if found:
            return "-".join(found.groups()), "generic:url"
    return None


def _heading_zone(page: _Page) -> list[str]:
    """The short lines next to the article's heading (up to 4 after it, then up to 4 before it),
    where the 发布时间/来源 line lives; stops at prose on either side. Neither the heading's own
    line (a title may name a date) nor lines of links (menus, related lists) are part of it."""
    heading = page.heading
    if heading is None:
        return []
    chunks = page.chunks
    at = next((i for i, chunk in enumerate(chunks) if _in_or_is(chunk.container, heading)), None)
    if at is None:  # an inline heading (<span class="title"> in an <h1>): the line holding it
        text = inline_text(heading)
        at = next(
            (
                i
                for i, c in enumerate(chunks)
                if _in_or_is(heading, c.container) and (text in c.text or c.text in text)
            ),
            None,
        )
    if at is None:
        return []
    near: list[str] = []
    for step in (1, -1):
        index = at + step
        while 0 <= index < len(chunks) and abs(index - at) <= 4:
            chunk = chunks[index]
            if _is_prose(chunk):
                break
            # The line right under the heading is its byline even when links make most of it
            # (the source's site, the author's page, a comment count).
            byline = step == 1 and index == at + 1
            if chunk.container is not heading and (
                byline or not _is_link_line(chunk) or _is_date_line(chunk.text)
            ):
                near.append(chunk.text)
            index += step
    return near


def _in_or_is(element: HtmlElement, ancestor: HtmlElement) -> bool:
    return element is ancestor or any(a is ancestor for a in element.iterancestors())


# --- body ----------------------------------------------------------------------------------


def find_body(root: HtmlElement) -> tuple[HtmlElement, str] | None:
    """The block of the article's text, by text density: the element whose paragraphs of prose,
    less its link text and page furniture, add up to the most characters. None for pages whose
    best block is a list of links or barely any prose (navigation, list and index pages)."""
    return _densest(root, [chunk for chunk in _page_chunks(root) if chunk.chars])


def _densest(
    root: HtmlElement, chunks: list[_Chunk], minimum: float = _MIN_BODY_SCORE
) -> tuple[HtmlElement, str] | None:
    scores = _block_scores(root, chunks)
    ranked = sorted(
        ((score, element) for element, score in scores.items() if element.tag in _BODY_TAGS),
        key=lambda pair: pair[0],
        reverse=True,
    )
    # Blocks in furniture (a footer, a related-news box) are never the article, however long.
    # (Looked up from the best down: walking up from every block of a page is not cheap.)
    candidates = (pair for pair in ranked if not _in_furniture(pair[1], _FURNITURE_WORDS))
    best_score, best = next(candidates, (0.0, None))
    if best is None or best_score < minimum:
        return None
    # Scores add up the tree, so a wrapper that adds a little prose (a side box, a disclaimer)
    # outscores the article's own block: the deepest block holding most of the score is it.
    held = [(_depth(best), best)]
    for score, element in candidates:
        if score < _HELD_SHARE * best_score:
            break
        if _in_or_is(element, best):
            held.append((_depth(element), element))
    block = max(held, key=lambda pair: pair[0])[1]
    if _is_link_list([chunk for chunk in chunks if _in_or_is(chunk.container, block)]):
        return None
    return block, "generic:density"


def _depth(element: HtmlElement) -> int:
    return sum(1 for _ in element.iterancestors())


_BODY_TAGS = frozenset({"div", "td", "article", "section", "main", "body", "center", "font"})


def _block_scores(root: HtmlElement, chunks: list[_Chunk]) -> dict[HtmlElement, float]:
    """Each element's score: its chunks' values and its children's scores summed, the positive
    part of a furniture-named element's score discounted (its prose is a box beside the article)."""
    own: dict[HtmlElement, float] = {}
    previous: _Chunk | None = None
    for chunk in (chunk for chunk in chunks if chunk.chars):
        value = _chunk_value(chunk, teaser=_is_teaser(chunk, previous))
        own[chunk.container] = own.get(chunk.container, 0.0) + value
        previous = chunk
    # Only the blocks holding text and their ancestors score anything: summed deepest first.
    depths: dict[HtmlElement, int] = {}
    for container in own:
        chain = [container, *container.iterancestors()]
        for height, element in enumerate(chain):
            if element in depths:
                break
            depths[element] = len(chain) - height
    held: dict[HtmlElement, float] = {}
    scores: dict[HtmlElement, float] = {}
    for element in sorted(depths, key=depths.__getitem__, reverse=True):
        score = own.get(element, 0.0) + held.get(element, 0.0)
        if score > 0 and _has_words(element, _ALL_FURNITURE_WORDS):
            score *= 0.2
        scores[element] = score
        parent = element.getparent()
        if parent is not None:
            held[parent] = held.get(parent, 0.0) + score
    return scores


def _chunk_value(chunk: _Chunk, teaser: bool = False) -> float:
    """Prose counts its characters (and a bonus for its punctuation and for being a <p>); link
    text counts against; short lines without punctuation (menus, dates) and the summaries of
    teasers count slightly against."""
    text_chars = chunk.chars - chunk.link_chars
    if is_boilerplate(chunk.text):
        return -float(chunk.chars)
    if _is_prose(chunk) and not teaser:
        value = text_chars + 2.0 * len(_PROSE.findall(chunk.text))
        value += 5.0 if chunk.container.tag == "p" else 0.0
    else:
        value = -0.5 * text_chars
    return value - 1.5 * chunk.link_chars


def _is_teaser(chunk: _Chunk, previous: _Chunk | None) -> bool:
    """Whether `chunk` is the summary of another article in a list: right under its headline
    link, or ending in a 详细/更多/阅读全文 link."""
    # A byline linking to its author (a date and little else) is no headline.
    under_link = (
        previous is not None
        and _is_link_line(previous)
        and not _is_date_line(previous.text)
        and not _is_byline(previous.text)
    )
    return under_link or bool(_MORE_LINK.search(chunk.text) and chunk.link_chars)


# A 来源/发布时间 line linking to its source's site is a byline, never a headline.
_BYLINE = re.compile(rf"({_META_LABELS}|作者|编辑)\s*[:：]")


def _is_byline(text: str) -> bool:
    return bool(_BYLINE.search(text) and DATE_IN_TEXT.search(normalize_date_text(text)))


def _is_link_line(chunk: _Chunk) -> bool:
    return chunk.link_chars >= 4 and chunk.link_chars > 0.5 * chunk.chars


def _is_date_line(text: str) -> bool:
    """A line that is a date and little else (a byline linking to its author's page: 2019年02月20日
    02:26:00 来自北京), unlike a related article's title with its date."""
    normalized = normalize_date_text(text)
    found = DATE_IN_TEXT.search(normalized)
    if found is None:
        return False
    rest = normalized[: found.start()] + normalized[found.end() :]
    return len(re.sub(r"\s", "", rest)) <= 12


_MORE_LINK = re.compile(r"(详细|详情|更多|阅读全文|查看全文|全文|>>|»)\s*[\]】]?$")


def _is_prose(chunk: _Chunk) -> bool:
    text_chars = chunk.chars - chunk.link_chars
    return text_chars >= 8 and text_chars > chunk.link_chars and bool(_PROSE.search(chunk.text))


def _is_link_list(chunks: list[_Chunk]) -> bool:
    """Whether most of a block's lines (`chunks`) are links and its prose is shorter than them (a list page;
    an article with a related-news list under it has more prose), or links make up most of its
    text."""
    linked = [chunk for chunk in chunks if chunk.link_chars > 0.5 * chunk.chars]
    link_chars = sum(chunk.link_chars for chunk in chunks)
    all_chars = sum(chunk.chars for chunk in chunks) or 1
    prose_chars = sum(chunk.chars - chunk.link_chars for chunk in chunks if _is_prose(chunk))
    mostly_link_lines = len(linked) >= 5 and len(linked) > 0.5 * len(chunks)
    return (mostly_link_lines and prose_chars < link_chars) or link_chars > 0.5 * all_chars


_NOT_TEXT = SKIPPED_TAGS | {"head", "title"}


def _page_chunks(root: HtmlElement) -> list[_Chunk]:
    """The text runs of `root` in document order, cut at block boundaries like text.paragraphs,
    each with its non-space characters, those inside <a>, and its innermost block element."""
    return [chunk for top in _tops(root) for chunk in _element_chunks(top)]


def _tops(root: HtmlElement) -> list[HtmlElement]:
    """`root`, and for a document's root the elements after it: libxml2 puts what a page has after
    a stray </html> (an included header that closes the page) into a second <html> beside it."""
    if root.getparent() is not None:
        return [root]
    return [root, *(s for s in root.itersiblings() if isinstance(s.tag, str))]


def _iter(root: HtmlElement, *tags: str) -> Iterator[HtmlElement]:
    """The elements of `root` (of `tags` if given) in document order, _tops included."""
    for top in _tops(root):
        yield from top.iter(*tags)


def _element_chunks(root: HtmlElement) -> list[_Chunk]:
    chunks: list[_Chunk] = []
    parts: list[tuple[str, bool]] = []
    blocks: list[HtmlElement] = [root]

    def flush() -> None:
        if not parts:
            return
        joined = "".join(part for part, _ in parts)
        text = fold_spaces(joined)
        if text:
            link_chars = sum(_nonspace(part) for part, in_link in parts if in_link)
            chunks.append(_Chunk(text, blocks[-1], _nonspace(joined), link_chars))
        parts.clear()

    stack: list[tuple[HtmlElement, bool, bool]] = [(root, False, False)]
    while stack:
        node, closing, in_link = stack.pop()
        tag = node.tag  # (a property of lxml's: read once)
        if not isinstance(tag, str):
            tag = None
        if closing or tag is None or tag in _NOT_TEXT:
            if closing and tag in BLOCK_TAGS:
                flush()
                if tag != "br":
                    blocks.pop()
            tail = node.tail
            if tail and node is not root:
                parts.append((tail, in_link))  # a tail is its parent's text
            continue
        inner_link = in_link or tag == "a"
        if tag in BLOCK_TAGS:
            flush()
            if tag != "br":
                blocks.append(node)
        text = node.text
        if text:
            parts.append((text, inner_link))
        stack.append((node, True, in_link))
        stack.extend([(child, False, inner_link) for child in reversed(node)])
    flush()
    return chunks


# --- helpers -------------------------------------------------------------------------------


def _nonspace(text: str) -> int:
    """How many characters of `text` are not whitespace."""
    return len("".join(text.split()))


def _has_words(element: HtmlElement, words: frozenset[str] | set[str]) -> bool:
    """Whether the class or id of `element` has one of `words` (split at -, _, digits, spaces)."""
    names = _names(element.get("class"), element.get("id"))
    return bool(names) and not names.isdisjoint(words)


@lru_cache(maxsize=8192)
def _names(class_: str | None, id_: str | None) -> frozenset[str]:
    """The words of a class and id (and the whole of them): pages repeat the same few."""
    names = f"{class_ or ''} {id_ or ''}".lower()
    if not names.strip():
        return frozenset()
    return frozenset([*_WORD_SPLIT.split(names), names.strip()])


def _in_furniture(element: HtmlElement, words: frozenset[str]) -> bool:
    return any(
        a.tag in ("nav", "footer", "aside") or _has_words(a, words) for a in element.iterancestors()
    )


_HEADING_FURNITURE = _FURNITURE_WORDS | frozenset({"links", "hot", "rank"})


def _label_lines(page: _Page, block: HtmlElement) -> list[str]:
    """The page's lines outside the body block, its furniture and its footer lines: where a
    label is looked for when there is none near the heading (a footer's 更新时间 is not one)."""
    furnished = _FurnitureMap(_FURNITURE_WORDS)
    return [
        chunk.text
        for chunk in page.chunks
        if not _in_or_is(chunk.container, block)
        and not furnished.within(chunk.container)
        and not _FOOTER_LINE.search(chunk.text)
    ]


class _FurnitureMap:
    """Whether elements are furniture or inside it (by tag, or class/id `words`), each element
    looked at once: the lines of a page share their few ancestors."""

    def __init__(self, words: frozenset[str]) -> None:
        self.words = words
        self.known: dict[HtmlElement, bool] = {}

    def within(self, element: HtmlElement) -> bool:
        """`element` is furniture, or inside furniture."""
        found = self.known.get(element)
        if found is None:
            parent = element.getparent()
            found = element.tag in ("nav", "footer", "aside") or _has_words(element, self.words)
            found = found or (parent is not None and self.within(parent))
            self.known[element] = found
        return found


_FOOTER_LINE = re.compile(r"ICP\s*备|公网安备|版权所有|Copyright|©|技术支持|主办单位|网站标识码")


def _without_footer_lines(text: str) -> str:
    """`text` without its footer lines (版权所有, ICP备…): their 更新时间 and 来源 are the site's."""
    return "\n".join(line for line in text.split("\n") if not _FOOTER_LINE.search(line))


def _key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _meta_name(name: str) -> str:
    """The name a meta tag is usually written with, for provenance."""
    known = {
        "articletitle": "ArticleTitle", "pubdate": "PubDate", "contentsource": "ContentSource",
        "columnname": "ColumnName", "publishdate": "publishdate",
    }  # fmt: skip
    return known.get(name, name)
