"""A large synthetic archive, built in bulk: three years of daily crawls of chencang in minutes.

Not a crawl: the history is planned up front (which article is published when, checked when, edited
when, gone, moved or unlisted when), the articles' versions are generated in worker processes, and
every table is filled in bulk: INSERTs compiled once by SQLAlchemy Core, executed many rows at a
time (executemany) with each column type's own bind processor, one transaction per chunk (a few
thousand versions, or 20,000 captures), on one build connection (journal_mode=OFF and
synchronous=OFF while it builds, WAL again at the end; foreign keys left to the order of the
inserts). A dump of an archive built this way equals one built with Core's executemany.
The rows are the ones the write path (archive.store) makes for that history, computed by the same
functions: content and record digests (archive.records), fingerprints and MinHash bands
(archive.text.similarity), change classes and per-field counts (archive.changes, archive.diff),
compressed payloads (archive.blobs), lifecycle states and events (archive.lifecycle), the capture
chain (archive.fixity) and the search index (archive.search: segments stored once, their character
pairs in segment_fts). So `newsarchive verify` passes on the result, and history, changes, search
and the web application read it as they read a crawled archive.

The history: one site, `chencang`, one run a day at 22:00 (Shanghai) for 1,095 days from
2023-01-01. Article pages are published uniformly over those days (08:00–18:30) and first captured
the evening they appear; their other captures fall on later runs at log-uniform distances (many in
the first days, a few years later). The first capture of a page makes version 1; extra versions go
to pages at random (most pages get 1–3), each an edit of a realistic kind (a wrong character
fixed, a number updated, a paragraph added or removed, a title corrected, the time, source, an
image or a link changed, a cosmetic change), made on one of the page's later captures. The other
captures are 304s mostly (not-modified), some 200s with the same bytes (unchanged, the same blob),
and a few timeouts; about 3% of the pages end in a streak of 404s (gone), 2% move to another URL
(a 301), 3% are taken off the list (unlisted). Each run also reads its list pages (one list
capture and one new payload per page read). Every run's captures are chained, ids follow time.

The archive's own site has no dynamic bytes in its pages, so an unchanged page's capture holds its
version's blob (the write path stores identical bytes once). No two articles carry the same text,
so page_link and mirror_copy stay empty, as the write path would leave them.

    python -m bench.synthetic PATH [--pages 200000] [--versions 400000] [--captures 1000000]
                                   [--seed 1] [--workers 2]

`--captures` counts every capture row, list pages included; `--versions` must be at least
`--pages`. Prints the counts per table, the file size and the build time (with its phases). From
code: `build(path, pages=..., versions=..., captures=..., seed=...) -> Summary`.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import itertools
import json
import math
import multiprocessing
import operator
import os
import random
import re
import string
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, func, insert, select, text

from archive import blobs, changes, search
from archive.database import open_archive
from archive.diff import field_counts
from archive.fixity import GENESIS, capture_digest
from archive.lifecycle import Rules, State, Status, after_capture
from archive.models import (
    FTS_TABLE,
    Base,
    Blob,
    Capture,
    CrawlRun,
    Page,
    PageEvent,
    PageUrl,
    SimilarityBand,
    Site,
    TextSegment,
    Version,
    VersionChange,
    VersionSegment,
)
from archive.records import (
    RECORD_FIELDS,
    Outcome,
    changed_fields,
    content_sha256,
    record_sha256,
)
from archive.runs import Cursor, ListWalkState, RunArguments, RunProcess
from archive.text.diff import char_counts
from archive.text.similarity import Fingerprint, content_key, fingerprint
from tests.replica import textgen
from tests.replica import vocabulary as vocab

SITE, ORIGIN = "chencang", "http://www.chencang.gov.cn"
COLUMN, COLUMN_PATH = "陈仓要闻", "/col8173/col8174/"
MOVED_PATH = "/col8173/col8176/"
SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST_DAY, DAYS = date(2023, 1, 1), 1095
RUN_HOUR_UTC = 14  # 22:00 in Shanghai
SPACING_US = 1_300_000  # between two captures of a run
PER_LIST_PAGE = 20
PARSER_VERSION = "chencang/1+x2+c1"
PROVENANCE = {
    "encoding": "utf-8 (declared)",
    "title": "meta:ArticleTitle",
    "published_at": "meta:PubDate",
    "source": "meta:ContentSource",
    "column": "meta:ColumnName",
    "body": "css:#Zoom .trs_editor_view",
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RULES = Rules()
# Shares of pages and captures (see the module docstring).
GONE, MOVED, UNLISTED = 0.03, 0.02, 0.03
UNCHANGED, TIMEOUT = 0.08, 0.01
# Edit kinds and their weights.
EDITS = (
    ("char_fixed", 28),
    ("number_updated", 8),
    ("paragraph_added", 15),
    ("paragraph_removed", 8),
    ("title_corrected", 12),
    ("published_at_corrected", 5),
    ("source_changed", 5),
    ("image_replaced", 5),
    ("link_changed", 3),
    ("cosmetic", 11),
)
# One version in this many has its per-field counts computed on the whole texts as well, to check
# the shortcut (the diff of what lies between the common prefix and suffix).
COUNT_CHECK_EVERY = 25
CHUNK_VERSIONS = 4000  # versions per transaction
CHUNK_CAPTURES = 20000  # captures per transaction
PAGES_PER_TASK = 250

T = {m.__tablename__: cast(Table, m.__table__) for m in Base.__subclasses__()}
SITE_T, RUN_T, PAGE_T, URL_T = (cast(Table, m.__table__) for m in (Site, CrawlRun, Page, PageUrl))
EVENT_T, BLOB_T, VERSION_T, CHANGE_T = (
    cast(Table, m.__table__) for m in (PageEvent, Blob, Version, VersionChange)
)
BAND_T, SEGMENT_T, VSEG_T, CAPTURE_T = (
    cast(Table, m.__table__) for m in (SimilarityBand, TextSegment, VersionSegment, Capture)
)
TABLES = (
    "site",
    "crawl_run",
    "page",
    "page_url",
    "page_event",
    "blob",
    "version",
    "version_change",
    "similarity_band",
    "text_segment",
    "version_segment",
    "segment_fts",
    "capture",
    "page_link",
    "mirror_copy",
)


@dataclass(frozen=True)
class Summary:
    path: Path
    counts: dict[str, int]
    bytes: int
    seconds: float
    phases: dict[str, float]
    # Versions whose per-field counts were also computed on the whole texts, and how many differed.
    counts_checked: int = 0
    counts_differing: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[str]:
        width = max(len(name) for name in self.counts)
        rows = [f"  {name:<{width}}  {count:>12,}" for name, count in self.counts.items()]
        phases = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in self.phases.items())
        return [
            f"{self.path}: {self.bytes / 1e9:.2f} GB, built in {self.seconds:.0f} s ({phases})",
            *rows,
            f"  per-field counts checked on whole texts: {self.counts_checked:,} versions, "
            f"{self.counts_differing} differed",
        ]


# ---------------------------------------------------------------------------------------------
# The plan: who is published, captured, edited, gone, moved, unlisted, when.


def _us(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _moment(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def _run_start_us(day: int) -> int:
    return _us(datetime.combine(FIRST_DAY + timedelta(days=day), datetime.min.time(), UTC)) + (
        RUN_HOUR_UTC * 3600 * 1_000_000
    )


@dataclass
class Plan:
    pages: int
    pub_day: list[int]
    pub_minute: list[int]  # minutes after local midnight
    doc_id: list[int]
    days: list[list[int]]  # per page, the days of its captures (the first is its publication day)
    # Per page, one letter per capture: v makes a version (new or changed), n is a 304, u a 200
    # with the same bytes (unchanged), e a timeout, f a 404, m a 301 to the page's new URL.
    roles: list[str]
    times: list[list[int]]  # per page, its captures' times (µs since the epoch, UTC)
    unlisted_day: dict[int, int]
    list_pages: list[int]  # per day, how many list pages its run reads
    list_times: list[list[int]]  # per day, its list captures' times
    # Per day: the article captures of its run in order, as (page, capture index).
    order: list[list[tuple[int, int]]]


def _offsets(rng: random.Random, count: int, room: int) -> list[int]:
    """`count` distinct days in 1..room, log-uniform (revisits are frequent early, rare later)."""
    if count == 0:
        return []
    if count * 2 > room:
        return sorted(rng.sample(range(1, room + 1), count))
    chosen: set[int] = set()
    scale = math.log(room + 1)
    while len(chosen) < count:
        chosen.add(min(room, max(1, int(math.exp(rng.random() * scale)))))
    return sorted(chosen)


def make_plan(pages: int, versions: int, captures: int, seed: int) -> Plan:
    if pages < 1 or versions < pages:
        raise ValueError("give at least one page, and at least as many versions as pages")
    rng = random.Random(f"plan:{seed}")
    published = sorted(
        (rng.randrange(DAYS), rng.randint(8 * 60, 18 * 60 + 30)) for _ in range(pages)
    )
    pub_day = [day for day, _ in published]
    pub_minute = [minute for _, minute in published]
    doc_ids, doc = [], 1_000_000
    for _ in range(pages):
        doc += rng.randint(1, 3)
        doc_ids.append(doc)
    new_per_day = [0] * DAYS
    for day in pub_day:
        new_per_day[day] += 1
    # An incremental walk reads the list pages holding new articles, and one more.
    list_pages = [1 + -(-new // PER_LIST_PAGE) for new in new_per_day]
    article_captures = captures - sum(list_pages)
    if article_captures < versions:
        raise ValueError(
            f"--captures must be at least --versions + the list captures ({sum(list_pages):,})"
        )
    room = [DAYS - 1 - day for day in pub_day]
    if article_captures - pages > sum(room) // 2:
        raise ValueError("too many captures for these pages: a page is checked once a day at most")
    extra_versions, revisits, taken = [0] * pages, [0] * pages, [0] * pages

    def pick() -> int:
        while True:
            page = rng.randrange(pages)
            if taken[page] < room[page]:
                taken[page] += 1
                return page

    for _ in range(versions - pages):
        extra_versions[pick()] += 1
    for _ in range(article_captures - versions):
        revisits[pick()] += 1
    days, roles = [], []
    unlisted_day: dict[int, int] = {}
    for page in range(pages):
        later = _offsets(rng, taken[page], room[page])
        days.append([pub_day[page], *(pub_day[page] + offset for offset in later)])
        count = len(later)
        role = ["v"] + [""] * count
        gone = revisits[page] >= 2 and rng.random() < GONE / 0.75
        tail = (3 if revisits[page] >= 4 and rng.random() < 0.5 else 2) if gone else 0
        for index in range(count + 1 - tail, count + 1):
            role[index] = "f"
        for index in rng.sample(range(1, count + 1 - tail), extra_versions[page]):
            role[index] = "v"
        free = [index for index in range(1, count + 1) if not role[index]]
        if free and not gone and rng.random() < MOVED / 0.7:
            # Most moved pages are checked again at their new address.
            role[rng.choice(free[:-1] or free)] = "m"
        for index in free:
            if not role[index]:
                draw = rng.random()
                role[index] = "e" if draw < TIMEOUT else "u" if draw < TIMEOUT + UNCHANGED else "n"
        roles.append("".join(role))
        if not gone and room[page] >= 10 and rng.random() < UNLISTED:
            unlisted_day[page] = pub_day[page] + rng.randint(7, room[page])
    firsts: list[list[tuple[int, int]]] = [[] for _ in range(DAYS)]
    later_ones: list[list[tuple[int, int]]] = [[] for _ in range(DAYS)]
    for page in range(pages):
        for index, day in enumerate(days[page]):
            (later_ones if index else firsts)[day].append((page, index))
    times: list[list[int]] = [[0] * len(d) for d in days]
    list_times: list[list[int]] = []
    order = []
    for day in range(DAYS):
        start = _run_start_us(day) + 4_000_000
        run = firsts[day] + later_ones[day]
        list_times.append(
            [start + k * SPACING_US + rng.randrange(900_000) for k in range(list_pages[day])]
        )
        start += list_pages[day] * SPACING_US
        for position, (page, index) in enumerate(run):
            times[page][index] = start + position * SPACING_US + rng.randrange(900_000)
        order.append(run)
    return Plan(
        pages,
        pub_day,
        pub_minute,
        doc_ids,
        days,
        roles,
        times,
        unlisted_day,
        list_pages,
        list_times,
        order,
    )


# ---------------------------------------------------------------------------------------------
# Articles: text from the replica's vocabulary, the page's HTML, its edits.

_NUMBERS: dict[str, Callable[[random.Random], str]] = textgen.NUMBERS
_DIGITS = re.compile(r"\d+")
_HOMOPHONE_CHARS = frozenset(vocab.HOMOPHONES)


@cache
def _numbers_in(template: str) -> tuple[str, ...]:
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return tuple(sorted(names & _NUMBERS.keys()))


def _fill(template: str, facts: dict[str, str], rng: random.Random) -> str:
    names = _numbers_in(template)
    if not names:
        return template.format_map(facts)
    return template.format_map({**facts, **{name: _NUMBERS[name](rng) for name in names}})


def _story(rng: random.Random, published: datetime) -> dict[str, str]:
    return textgen.facts(rng, published)


def _title(rng: random.Random, facts: dict[str, str], avoid: str = "") -> str:
    size = "long" if rng.random() < 0.25 else "short"
    templates = vocab.STORIES[facts["kind"]][size]
    title = ""
    for _ in range(20):
        title = _fill(rng.choice(templates), facts, rng)
        if 8 <= len(title) <= 40 and title != avoid:
            break
    return title


class _Writer:
    """Sentences for one article: its story's first, then generic ones, few repeats."""

    def __init__(self, rng: random.Random, facts: dict[str, str]) -> None:
        self.rng, self.facts = rng, facts
        self.pool = (*vocab.STORIES[facts["kind"]]["sentences"], *vocab.SENTENCES)
        self.used: set[str] = set()

    def sentence(self) -> str:
        choice = self.rng.choice(self.pool)
        for _ in range(3):
            if choice not in self.used:
                break
            choice = self.rng.choice(self.pool)
        self.used.add(choice)
        return _fill(choice, self.facts, self.rng)

    def paragraph(self, start: str = "", limit: int = 220) -> str:
        text = start
        target = self.rng.randint(50, limit)
        for _ in range(12):
            if len(text) >= target:
                break
            sentence = self.sentence()
            if len(text) + len(sentence) <= limit:
                text += sentence
        if len(text) < 50:
            text += _fill(self.rng.choice(vocab.CLOSINGS), self.facts, self.rng)[
                : limit - len(text)
            ]
        return text


# A paragraph: (pid, kind, *data). t: (text,) s: (head, rest) i: (src,) c: (caption,)
# l: (text, link text, href).
Para = tuple[Any, ...]


@dataclass
class Content:
    title: str
    published: datetime
    source: str
    paras: list[Para]
    attachments: list[dict[str, str]]
    facts: dict[str, str]


def _asset(rng: random.Random, published: datetime, prefix: str, extension: str) -> str:
    return (
        f"{ORIGIN}{COLUMN_PATH}{published:%Y%m}/{prefix}{published:%Y%m%d}"
        f"{rng.randrange(10**12):012d}.{extension}"
    )


def _first_content(rng: random.Random, published: datetime) -> Content:
    facts = _story(rng, published)
    writer = _Writer(rng, facts)
    count = rng.randint(3, 9)
    points = min(len(vocab.NUMBERED_POINTS), count - 3) if count >= 6 and rng.random() < 0.5 else 0
    lead = _fill(rng.choice(vocab.STORIES[facts["kind"]]["leads"]), facts, rng)
    paras: list[Para] = [(0, "t", writer.paragraph(lead))]
    for index in range(1, count):
        point = index - 2
        if 0 <= point < points:
            head, tail = vocab.NUMBERED_POINTS[point]
            paras.append((index, "s", head, writer.paragraph(tail, 220 - len(head))))
        else:
            paras.append((index, "t", writer.paragraph()))
    if rng.random() < 0.1:
        href = f"http://www.baoji.gov.cn/site/1/html/126/132/138/{rng.randint(400000, 499999)}.htm"
        last = paras[-1][0]
        paras[-1] = (last, "l", writer.paragraph("", 200), rng.choice(vocab.LINK_TEXTS), href)
    images = rng.choices((0, 1, 2), (50, 35, 15))[0]
    next_pid = count
    for number in range(images):
        caption = _fill(rng.choice(vocab.CAPTIONS), facts, rng)
        at = min(1 + number * 4, len(paras))
        image = (next_pid, "i", _asset(rng, published, "W0", "jpg"))
        paras[at:at] = [image, (next_pid + 1, "c", caption)]
        next_pid += 2
    attachments = []
    if rng.random() < 0.05:
        name = _fill(rng.choice(vocab.ATTACHMENT_TITLES), facts, rng)
        attachments.append({"url": _asset(rng, published, "P0", "pdf"), "text": name})
    source = "" if rng.random() < 0.03 else rng.choice(vocab.SOURCES)
    return Content(_title(rng, facts), published, source, paras, attachments, facts)


def _line(para: Para) -> str | None:
    kind = para[1]
    if kind == "t" or kind == "c":
        return str(para[2])
    if kind == "s":
        return f"{para[2]}{para[3]}"
    if kind == "l":
        return f"{para[2]}{vocab.LINK_SENTENCE}{para[3]}。"
    return None


def _html(para: Para, page: bool = False) -> str:
    kind = para[1]
    indent = '<p style="text-indent:2em">\u3000\u3000' if page else "<p>\u3000\u3000"
    target = ' target="_blank"' if page else ""
    if kind == "t":
        return f"{indent}{para[2]}</p>"
    if kind == "s":
        return f"{indent}<strong>{para[2]}</strong>{para[3]}</p>"
    if kind == "i":
        return f'<p><img src="{para[2]}" alt=""></p>'
    if kind == "c":
        return f"<p>{para[2]}</p>"
    return f'{indent}{para[2]}{vocab.LINK_SENTENCE}<a href="{para[4]}"{target}>{para[3]}</a>。</p>'


def _fields(content: Content, doc_id: str) -> dict[str, Any]:
    """The record as the extractor and cleaner give it (archive.records.RECORD_FIELDS)."""
    lines = [line for line in map(_line, content.paras) if line]
    return {
        "title": content.title,
        "published_at": content.published.isoformat(),
        "published_precision": "minute",  # the page's PubDate: YYYY-MM-DD HH:MM
        "source": content.source,
        "editor": "",
        "author": "",
        "column": COLUMN,
        "body": "\n".join(lines),
        "body_html": "<div>\n" + "\n".join(_html(p) for p in content.paras) + "\n</div>",
        "images": [p[2] for p in content.paras if p[1] == "i"],
        "attachments": [dict(a) for a in content.attachments],
        "links": [{"url": p[4], "text": p[3]} for p in content.paras if p[1] == "l"],
        "doc_id": doc_id,
    }


_PAGE_HEAD = (
    '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
    '<meta http-equiv="X-UA-Compatible" content="IE=edge">\n'
    "<title>{title}_陈仓要闻_宝鸡市陈仓区人民政府</title>\n"
    '<meta name="SiteName" content="宝鸡市陈仓区人民政府">\n'
    '<meta name="SiteDomain" content="www.chencang.gov.cn">\n'
    '<meta name="SiteIDCode" content="6103040001">\n'
    '<meta name="ColumnName" content="陈仓要闻">\n'
    '<meta name="ArticleTitle" content="{title}">\n'
    '<meta name="PubDate" content="{pubdate}">\n'
    '<meta name="ContentSource" content="{source}">\n'
    '<meta name="Keywords" content="陈仓,{topic}">\n'
    '<meta name="Description" content="{description}">\n'
    '<meta name="Url" content="{url}">\n'
    '<link rel="stylesheet" href="/css/style.css">\n<script src="/js/common.js"></script>\n'
    "</head>\n<body>\n"
    '<div class="top"><div class="w1200"><span>本网站支持IPv6</span><a href="javascript:void(0)" '
    'class="zzms">长者模式</a> <a href="javascript:void(0)" class="wza">无障碍浏览</a></div></div>\n'
    '<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/col8173/">新闻中心</a></li>'
    '<li><a href="/col8173/col8174/">陈仓要闻</a></li><li><a href="http://www.baoji.gov.cn/" '
    'target="_blank">宝鸡市人民政府</a></li></ul></div>\n<div class="main w1200">\n'
    '<div class="adress">当前位置：<a href="/">首页</a> &gt; <a href="/col8173/">新闻中心</a> &gt; '
    '<a href="/col8173/col8174/">陈仓要闻</a></div>\n<div class="hdpd">\n'
    '<div class="hdpd1"><span class="lm">陈仓要闻</span></div>\n<div class="hdpd2">\n'
    "<h2>{title}</h2>\n"
    '<div class="ly"><div class="ly_left"><span>来源：{source}</span><span>发布时间：{shown}</span>'
    "</div>\n"
    '<div class="ly_right">字号：<a href="javascript:doZoom(18)">大</a> '
    '<a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a> '
    '<a href="javascript:window.print()">打印本页</a> '
    '<a href="javascript:window.close()">关闭窗口</a></div></div>\n'
    '<div id="Zoom"><div class="trs_editor_view TRS_UEDITOR trs_paper_default trs_web">\n'
)
_PAGE_TAIL = (
    "</div></div>\n{annex}"
    '<div class="share">分享到：<a href="javascript:void(0)" class="share_wx">微信</a> '
    '<a href="javascript:void(0)" class="share_wb">微博</a> '
    '<a href="javascript:void(0)" class="share_qq">QQ空间</a></div>\n'
    '<div class="llcs">浏览次数：<span id="views">{views}</span></div>\n'
    '<script type="text/javascript">var docId = "{doc_id}"; var columnId = "8174"; '
    'function doZoom(size) {{ var zoom = document.getElementById("Zoom"); '
    'if (zoom) {{ zoom.style.fontSize = size + "px"; }} }}</script>\n'
    "</div></div>\n"
    '<div class="side"><h3>相关新闻</h3><ul>{related}</ul><h3>热点</h3><ul>{hot}</ul></div>\n'
    "</div>\n"
    '<div class="footer"><p>主办单位：宝鸡市陈仓区人民政府办公室　承办单位：陈仓区融媒体中心</p>'
    '<p>网站标识码：6103040001　<a href="https://beian.miit.gov.cn/" target="_blank">'
    "陕ICP备05003186号-1</a>　陕公网安备 61030402000123号</p>"
    '<p><span class="now">当前时间：{now}</span></p></div>\n</body>\n</html>\n'
)


@cache
def _side_titles(seed: int) -> tuple[str, ...]:
    """Titles for the pages' side lists (相关新闻, 热点): drawn once per process."""
    rng = random.Random(f"{seed}:side")
    moment = datetime(2024, 6, 1, tzinfo=SHANGHAI)
    titles = (_title(rng, _story(rng, moment)) for _ in range(500))
    return tuple(title if len(title) <= 28 else title[:28] + "…" for title in titles)


def _side(rng: random.Random, seed: int, published: datetime, count: int) -> str:
    items = []
    titles = _side_titles(seed)
    for _ in range(count):
        day = published - timedelta(days=rng.randint(0, 20))
        path = f"{COLUMN_PATH}{day:%Y%m}/t{day:%Y%m%d}_{rng.randint(1_000_000, 1_700_000)}.html"
        items.append(f'<li><a href="{path}" target="_blank">{rng.choice(titles)}</a></li>')
    return "".join(items)


def _page_bytes(
    content: Content, url: str, doc_id: str, views: int, side: tuple[str, str], now: datetime
) -> bytes:
    lines = [line for line in map(_line, content.paras) if line]
    published = content.published
    annex = "".join(
        f'<div class="public-annex-downLoad"><a href="{a["url"]}">{a["text"]}</a></div>\n'
        for a in content.attachments
    )
    head = _PAGE_HEAD.format(
        title=content.title,
        pubdate=f"{published:%Y-%m-%d %H:%M}",
        source=content.source,
        topic=content.facts["topic"],
        description=(lines[0] if lines else "")[:60],
        url=url,
        shown=f"{published.year}年{published.month}月{published.day}日 {published:%H:%M}",
    )
    body = "\n".join(_html(p, page=True) for p in content.paras) + "\n"
    tail = _PAGE_TAIL.format(
        annex=annex,
        views=views,
        doc_id=doc_id,
        related=side[0],
        hot=side[1],
        now=f"{now.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}",
    )
    return (head + body + tail).encode("utf-8")


def _typo(rng: random.Random, value: str) -> tuple[int, str] | None:
    """An offset in `value` holding a character a pinyin input method often gets wrong."""
    offsets = [i for i, char in enumerate(value) if char in _HOMOPHONE_CHARS]
    if not offsets:
        return None
    offset = rng.choice(offsets)
    return offset, value[offset]


def _set_char(value: str, offset: int, char: str) -> str:
    return value[:offset] + char + value[offset + 1 :]


class _Editor:
    """Applies one article's planned edits; typos to be fixed are planted in its first version."""

    def __init__(self, rng: random.Random, content: Content, kinds: list[str]) -> None:
        self.rng, self.kinds = rng, kinds
        # edit index -> (pid or None for the title, offset, right character)
        self.typos: dict[int, tuple[int | None, int, str]] = {}
        for index, kind in enumerate(kinds):
            in_title = kind == "title_corrected" and rng.random() < 0.5
            if kind == "char_fixed" or in_title:
                self._plant(content, index, in_title)

    def _plant(self, content: Content, index: int, in_title: bool) -> None:
        if in_title:
            found = _typo(self.rng, content.title)
            if found:
                offset, right = found
                content.title = _set_char(content.title, offset, vocab.HOMOPHONES[right])
                self.typos[index] = (None, offset, right)
            return
        texts = [i for i, p in enumerate(content.paras) if p[1] == "t"]
        position = self.rng.choice(texts)
        para = content.paras[position]
        found = _typo(self.rng, para[2])
        if found:
            offset, right = found
            content.paras[position] = (
                para[0],
                "t",
                _set_char(para[2], offset, vocab.HOMOPHONES[right]),
            )
            self.typos[index] = (para[0], offset, right)

    def apply(self, index: int, content: Content) -> Content:
        """The content after edit `index` (a copy)."""
        new = Content(
            content.title,
            content.published,
            content.source,
            list(content.paras),
            list(content.attachments),
            content.facts,
        )
        kind = self.kinds[index]
        done = getattr(self, "_" + kind)(index, new)
        if not done:
            self._paragraph_added(index, new)
        return new

    def _texts(self, content: Content) -> list[int]:
        return [i for i, p in enumerate(content.paras) if p[1] == "t"]

    def _fix(self, index: int, content: Content) -> bool:
        if index not in self.typos:
            return False
        pid, offset, right = self.typos[index]
        wrong = vocab.HOMOPHONES[right]
        if pid is None:
            if content.title[offset : offset + 1] != wrong:
                return False
            content.title = _set_char(content.title, offset, right)
            return True
        for position, para in enumerate(content.paras):
            if para[0] == pid and para[1] == "t" and para[2][offset : offset + 1] == wrong:
                content.paras[position] = (pid, "t", _set_char(para[2], offset, right))
                return True
        return False

    def _char_fixed(self, index: int, content: Content) -> bool:
        return self._fix(index, content) or self._number_updated(index, content)

    def _number_updated(self, index: int, content: Content) -> bool:
        rng = self.rng
        candidates = [i for i in self._texts(content) if _DIGITS.search(content.paras[i][2])]
        if not candidates:
            return False
        position = rng.choice(candidates)
        para = content.paras[position]
        found = list(_DIGITS.finditer(para[2]))
        match = rng.choice(found)
        number = int(match.group())
        new = str(number + rng.choice((-3, -2, -1, 1, 2, 5, 10)) if number > 10 else number + 1)
        content.paras[position] = (
            para[0],
            "t",
            para[2][: match.start()] + new + para[2][match.end() :],
        )
        return True

    def _paragraph_added(self, index: int, content: Content) -> bool:
        rng = self.rng
        pid = max(p[0] for p in content.paras) + 1
        paragraph = _Writer(rng, content.facts).paragraph()
        at = len(content.paras) if rng.random() < 0.5 else rng.randint(1, len(content.paras))
        content.paras.insert(at, (pid, "t", paragraph))
        return True

    def _paragraph_removed(self, index: int, content: Content) -> bool:
        texts = self._texts(content)[1:]
        if len(texts) < 2:
            return False
        del content.paras[self.rng.choice(texts)]
        return True

    def _title_corrected(self, index: int, content: Content) -> bool:
        if self._fix(index, content):
            return True
        title = _title(self.rng, content.facts, avoid=content.title)
        if title == content.title:
            return False
        content.title = title
        return True

    def _published_at_corrected(self, index: int, content: Content) -> bool:
        old = content.published
        minute = self.rng.randint(8 * 60, 18 * 60 + 30)
        new = old.replace(hour=minute // 60, minute=minute % 60)
        if new == old:
            return False
        content.published = new
        return True

    def _source_changed(self, index: int, content: Content) -> bool:
        choices = [s for s in vocab.SOURCES if s != content.source]
        content.source = self.rng.choice(choices)
        return True

    def _image_replaced(self, index: int, content: Content) -> bool:
        images = [i for i, p in enumerate(content.paras) if p[1] == "i"]
        if not images:
            return False
        position = self.rng.choice(images)
        pid = content.paras[position][0]
        content.paras[position] = (pid, "i", _asset(self.rng, content.published, "W0", "jpg"))
        return True

    def _link_changed(self, index: int, content: Content) -> bool:
        for position, para in enumerate(content.paras):
            if para[1] == "l":
                number = self.rng.randint(400000, 499999)
                href = f"http://www.baoji.gov.cn/site/1/html/126/132/138/{number}.htm"
                content.paras[position] = (*para[:4], href)
                return para[4] != href
        return False

    def _cosmetic(self, index: int, content: Content) -> bool:
        for position in self._texts(content):
            para = content.paras[position]
            if "，" in para[2]:
                content.paras[position] = (para[0], "t", para[2].replace("，", ",", 1))
                return True
        return False


def _text_of(value: Any) -> str:
    """A field as archive.diff compares it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=1)


def _common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix, by bisection on slices compared in C."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _fast_counts(
    old: dict[str, Any], new: dict[str, Any], names: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """archive.diff.field_counts, compared only between the common prefix and suffix."""
    counts = {}
    for name in names:
        a, b = _text_of(old.get(name)), _text_of(new.get(name))
        start = _common_prefix(a, b)
        end = _common_prefix(a[start:][::-1], b[start:][::-1])
        counts[name] = char_counts(a[start : len(a) - end], b[start : len(b) - end])
    return counts


def _seg_key(segment: str) -> str:
    return hashlib.sha256(segment.encode("utf-8")).hexdigest()


class _Hex(dict[str, str]):
    def __missing__(self, char: str) -> str:
        value = self[char] = f"{ord(char):06x}"
        return value


_HEX = _Hex()


def _pairs(folded: str) -> str:
    """archive.search.pairs, three times faster (each character's hex written once)."""
    hexes = [_HEX[char] for char in folded + search.END]
    return " ".join(["x" + a + b for a, b in itertools.pairwise(hexes)])


def article_versions(seed: int, doc_id: int, published: datetime, url: str, times: Sequence[int]):
    """Every version of one article, as tuples the builder inserts: see _Flush.add."""
    rng = random.Random(f"{seed}:{doc_id}")
    content = _first_content(rng, published)
    weights = [w for _, w in EDITS]
    kinds = [rng.choices([k for k, _ in EDITS], weights)[0] for _ in times[1:]]
    editor = _Editor(rng, content, kinds)
    side = (_side(rng, seed, published, 5), _side(rng, seed, published, 5))
    doc = str(doc_id)
    results = []
    parent: dict[str, Any] = {}
    digest_before = ""
    seen: set[str] = set()
    checked = differing = 0
    mark: Fingerprint | None = None
    for number, at in enumerate(times, start=1):
        if number > 1:
            content = editor.apply(number - 2, content)
        fields = _fields(content, doc)
        digest = content_sha256(fields)
        if digest == digest_before:  # an edit that changed nothing the digest sees
            editor._paragraph_added(0, content)
            fields = _fields(content, doc)
            digest = content_sha256(fields)
        changed = changed_fields(parent, fields) if parent else []
        classes_of = changes.classify(changed, parent, fields)
        # A sample is computed the slow way too: the shortcuts must give the same values.
        check = number % COUNT_CHECK_EVERY == 0 or doc_id % COUNT_CHECK_EVERY == 0
        if changed:
            counts = _fast_counts(parent, fields, changed)
            if check:
                exact = field_counts(parent, fields, changed)
                checked += 1
                differing += exact != counts
                counts = exact
        else:
            counts = {}
        added, removed = changes.version_counts(counts, classes_of)
        if mark is not None and fields["body"] == parent["body"] and not check:
            # The signature and bands are the body's: only the content key sees the title.
            mark = Fingerprint(
                content_key(fields["title"], fields["body"]), mark.signature, mark.keys
            )
        else:
            mark = fingerprint(fields["title"], fields["body"])
        segments = []
        new_segments = []
        for name, position, segment in search.segments(fields["title"], fields["body"]):
            key = _seg_key(segment)
            segments.append((name, position, key))
            if key not in seen:
                seen.add(key)
                folded = search.fold(segment)
                pairs = _pairs(folded)
                if check and pairs != search.pairs(folded):
                    differing += 1
                new_segments.append((key, segment, folded, pairs))
        moment = _moment(at)
        payload = _page_bytes(content, url, doc, rng.randint(80, 3000), side, moment)
        compression, data = blobs.compress(payload)
        results.append(
            (
                number,
                at,
                fields,
                digest,
                record_sha256(fields),
                mark.content_key,
                mark.signature,
                mark.keys,
                changes.version_classes(classes_of),
                added,
                removed,
                [(f, classes_of[f], *counts[f]) for f in changed],
                segments,
                new_segments,
                (blobs.sha256_hex(payload), len(payload), compression, data),
            )
        )
        parent, digest_before = fields, digest
    return results, checked, differing


def _work(task: tuple[int, list[tuple[int, int, int, str, list[int]]]]):
    seed, pages = task
    done = []
    for page, doc_id, published_us, url, times in pages:
        published = _moment(published_us).astimezone(SHANGHAI)
        done.append((page, *article_versions(seed, doc_id, published, url, times)))
    return done


# ---------------------------------------------------------------------------------------------
# The build.


def _url(plan: Plan, page: int, path: str = COLUMN_PATH) -> str:
    day = FIRST_DAY + timedelta(days=plan.pub_day[page])
    return f"{ORIGIN}{path}{day:%Y%m}/t{day:%Y%m%d}_{plan.doc_id[page]}.html"


def _published_us(plan: Plan, page: int) -> int:
    day = FIRST_DAY + timedelta(days=plan.pub_day[page])
    minute = plan.pub_minute[page]
    local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=SHANGHAI)
    return _us(local)


def _tasks(plan: Plan, seed: int) -> Iterator[tuple[int, list[Any]]]:
    for start in range(0, plan.pages, PAGES_PER_TASK):
        chunk = []
        for page in range(start, min(plan.pages, start + PAGES_PER_TASK)):
            times = [
                t for t, role in zip(plan.times[page], plan.roles[page], strict=True) if role == "v"
            ]
            chunk.append(
                (page, plan.doc_id[page], _published_us(plan, page), _url(plan, page), times)
            )
        yield seed, chunk


def _results(plan: Plan, seed: int, pool: Any, workers: int) -> Iterator[Any]:
    """The workers' results in page order, a bounded number of tasks in flight."""
    if pool is None:
        for task in _tasks(plan, seed):
            yield from _work(task)
        return
    pending: deque[Any] = deque()
    for task in _tasks(plan, seed):
        pending.append(pool.apply_async(_work, (task,)))
        if len(pending) >= 3 * workers:
            yield from pending.popleft().get()
    while pending:
        yield from pending.popleft().get()


@dataclass
class _PageState:
    """What the capture phase needs of each article's versions, from the version phase."""

    version_ids: list[int] = field(default_factory=list)
    blobs: list[tuple[str, int]] = field(default_factory=list)
    etags: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    title: str = ""


class _Flush:
    """Versions in time order (ids follow time, as a crawl writes them), inserted in chunks."""

    def __init__(self, connection: Connection, first_page_id: int, states: list[_PageState]):
        self.connection = connection
        self.first_page_id = first_page_id
        self.states = states
        self.heap: list[tuple[int, int, int, Any]] = []
        self.version_id = 0
        self.segment_ids: dict[str, int] = {}
        self.rows: dict[str, list[Any]] = {}
        self.pending = 0
        self.checked = self.differing = 0
        self._reset()

    def _reset(self) -> None:
        self.rows = {
            name: [] for name in ("blob", "version", "change", "band", "seg", "fts", "vseg")
        }
        self.pending = 0

    def add(self, page: int, versions: list[Any], checked: int, differing: int) -> None:
        self.checked += checked
        self.differing += differing
        for version in versions:
            heapq.heappush(self.heap, (version[1], page, version[0], version))

    def release(self, before_us: int) -> None:
        """Insert every version made before `before_us` (nothing earlier can arrive any more)."""
        while self.heap and self.heap[0][0] < before_us:
            _, page, _, version = heapq.heappop(self.heap)
            self._rows(page, version)
            if self.pending >= CHUNK_VERSIONS:
                self.commit()

    def _rows(self, page: int, version: Any) -> None:
        (
            number,
            at,
            fields,
            digest,
            record_digest,
            content_key,
            signature,
            keys,
            classes,
            added,
            removed,
            changed,
            segments,
            new_segments,
            blob,
        ) = version
        self.version_id += 1
        version_id = self.version_id
        page_id = self.first_page_id + page
        state = self.states[page]
        moment = _moment(at)
        rows = self.rows
        sha, size, compression, data = blob
        rows["blob"].append((sha, size, compression, data, moment))
        rows["version"].append(
            {
                "id": version_id,
                "page_id": page_id,
                "number": number,
                "parent_id": state.version_ids[-1] if state.version_ids else None,
                "created_at": moment,
                "content_sha256": digest,
                "record_sha256": record_digest,
                "parser_version": PARSER_VERSION,
                "provenance": PROVENANCE,
                "classes": classes,
                "chars_added": added,
                "chars_removed": removed,
                "repairs": {},
                "content_key": content_key,
                "signature": signature,
                **fields,
            }
        )
        rows["change"].extend((version_id, *change) for change in changed)
        rows["band"].extend((version_id, page_id, band, key) for band, key in enumerate(keys))
        ids = self.segment_ids
        for key, segment, folded, pairs in new_segments:
            if key not in ids:
                ids[key] = len(ids) + 1
                rows["seg"].append((ids[key], key, segment, folded))
                rows["fts"].append((ids[key], pairs))
        rows["vseg"].extend(
            (version_id, ids[key], name, position) for name, position, key in segments
        )
        state.version_ids.append(version_id)
        state.blobs.append((sha, size))
        state.etags.append('"' + hashlib.sha1(sha.encode()).hexdigest()[:20] + '"')
        state.published.append(fields["published_at"])
        if number == 1:
            state.title = fields["title"]
        self.pending += 1

    def commit(self) -> None:
        rows = self.rows
        if not rows["version"]:
            return
        c = self.connection
        _BLOB(c, rows["blob"])
        _VERSION(c, rows["version"])
        _CHANGE(c, rows["change"])
        _BAND(c, rows["band"])
        _SEGMENT(c, rows["seg"])
        if rows["fts"]:
            c.exec_driver_sql(f"INSERT INTO {FTS_TABLE}(rowid, bi) VALUES (?, ?)", rows["fts"])
        _VSEG(c, rows["vseg"])
        c.commit()
        self._reset()


class _Bulk:
    """One table's INSERT, compiled once by SQLAlchemy Core and executed on the driver many rows
    at a time, each value converted by its column type's own bind processor (what Core does per
    row, without its per-row bookkeeping). Rows are tuples in `columns` order, or dicts."""

    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        self.table, self.columns = table, list(columns)
        self.sql = ""

    def _prepare(self, connection: Connection) -> None:
        dialect = connection.dialect
        compiled = insert(self.table).compile(dialect=dialect, column_keys=self.columns)
        names = list(compiled.positiontup or ())
        if sorted(names) != sorted(self.columns):
            raise AssertionError(f"{self.table.name}: {names} are not {self.columns}")
        self.sql = str(compiled)
        self.names = names
        self.order = [self.columns.index(name) for name in names]
        self.processors = [
            (i, processor)
            for i, name in enumerate(names)
            if (processor := self.table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
            is not None
        ]

    def __call__(self, connection: Connection, rows: Sequence[Any]) -> None:
        if not rows:
            return
        if not self.sql:
            self._prepare(connection)
        if isinstance(rows[0], dict):
            get = operator.itemgetter(*self.names)
            ordered = [get(row) for row in rows]
        elif self.order != list(range(len(self.order))):
            get = operator.itemgetter(*self.order)
            ordered = [get(row) for row in rows]
        else:
            ordered = list(rows)
        if self.processors:
            processors = self.processors
            converted = []
            for row in ordered:
                values = list(row)
                for i, processor in processors:
                    values[i] = processor(values[i])
                converted.append(tuple(values))
            ordered = converted
        connection.exec_driver_sql(self.sql, ordered)


_BLOB = _Bulk(BLOB_T, ("sha256", "size", "compression", "data", "created_at"))
_VERSION = _Bulk(
    VERSION_T,
    (
        "id",
        "page_id",
        "number",
        "parent_id",
        "created_at",
        "content_sha256",
        "record_sha256",
        "parser_version",
        "provenance",
        "classes",
        "chars_added",
        "chars_removed",
        "repairs",
        "content_key",
        "signature",
        *RECORD_FIELDS,
    ),
)
_CHANGE = _Bulk(CHANGE_T, ("version_id", "field", "change_class", "chars_added", "chars_removed"))
_BAND = _Bulk(BAND_T, ("version_id", "page_id", "band", "key"))
_SEGMENT = _Bulk(SEGMENT_T, ("id", "sha256", "text", "folded"))
_VSEG = _Bulk(VSEG_T, ("version_id", "segment_id", "field", "position"))
_CAPTURE = _Bulk(
    CAPTURE_T,
    (
        "id",
        "page_id",
        "run_id",
        "captured_at",
        "requested_url",
        "final_url",
        "status",
        "headers",
        "payload_sha256",
        "payload_size",
        "outcome",
        "version_id",
        "error",
        "chain_sha256",
    ),
)
_EVENT = _Bulk(EVENT_T, ("page_id", "kind", "at", "capture_id", "run_id", "detail"))
_PAGE = _Bulk(
    PAGE_T,
    (
        "id",
        "site_id",
        "url",
        "current_url",
        "kind",
        "doc_id",
        "first_seen_at",
        "last_captured_at",
        "last_status",
        "last_outcome",
        "state",
        "state_since",
        "published_at",
        "last_changed_at",
        "last_listed_at",
        "is_listed",
        "etag",
        "last_modified",
        "missing_since",
        "missing_checks",
    ),
)
_URL = _Bulk(URL_T, ("page_id", "url", "first_seen_at"))


def _http_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


_NOT_FOUND_PAGE = (
    b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    b"<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_MOVED_PAGE = (
    b"<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n"
    b"<center><h1>301 Moved Permanently</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def _list_bytes(plan: Plan, titles: list[str], day: int, number: int, newest: int) -> bytes:
    """List page `number` of the column as it stood on `day` (newest is the newest page)."""
    total = -(-(newest + 1) // PER_LIST_PAGE)
    top = newest - number * PER_LIST_PAGE
    items = []
    for page in range(top, max(-1, top - PER_LIST_PAGE), -1):
        published = FIRST_DAY + timedelta(days=plan.pub_day[page])
        href = f"./{published:%Y%m}/t{published:%Y%m%d}_{plan.doc_id[page]}.html"
        shown = titles[page] if len(titles[page]) <= 28 else titles[page][:28] + "…"
        items.append(
            f'<li><a href="{href}" target="_blank" title="{titles[page]}">{shown}</a>'
            f"<span>{published:%Y-%m-%d}</span></li>"
        )
    when = FIRST_DAY + timedelta(days=day)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        "<title>陈仓要闻_宝鸡市陈仓区人民政府</title>\n</head>\n<body>\n"
        '<div class="main w1200"><div class="xx_list"><ul>\n'
        + "\n".join(items)
        + f'\n</ul></div>\n<script>createPageHTML({total}, {number}, "index", "html");</script>\n'
        f'<div class="footer"><p><span class="now">当前时间：{when:%Y-%m-%d} 22:00:00</span></p>'
        "</div>\n</body>\n</html>\n"
    ).encode("utf-8")


def _list_url(number: int) -> str:
    return f"{ORIGIN}{COLUMN_PATH}" + (f"index_{number}.html" if number else "")


class _Captures:
    """Runs, captures, events, pages and their URLs, day by day, with the capture chain."""

    def __init__(
        self, connection: Connection, plan: Plan, states: list[_PageState], list_ids: int
    ) -> None:
        self.connection, self.plan, self.states = connection, plan, states
        self.first_page_id = list_ids + 1
        self.head = GENESIS
        self.capture_id = 0
        self.captures: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.blob_rows: list[tuple[Any, ...]] = []
        self.urls: list[tuple[int, int, str]] = []  # (first seen µs, page id, url)
        self.blobs_seen: set[str] = set()
        pages = plan.pages
        self.status = [Status(State.LIVE)] * pages
        self.state_since = [0] * pages
        self.current = [_url(plan, page) for page in range(pages)]
        self.made = [0] * pages  # versions made so far
        self.last: list[tuple[int, int | None, str] | None] = [None] * pages
        self.validators: list[tuple[str | None, str | None]] = [(None, None)] * pages
        self.last_changed: list[int | None] = [None] * pages
        self.listed_at = [0] * pages
        self.listed = [True] * pages
        self.list_seen: dict[int, tuple[int, int, int | None, str]] = {}
        self.titles = [state.title for state in states]
        self.runs: list[dict[str, Any]] = []
        self.unlisted_by_day: dict[int, list[int]] = {}
        for page, day in plan.unlisted_day.items():
            self.unlisted_by_day.setdefault(day, []).append(page)

    def run_all(self) -> None:
        newest = -1
        for day in range(DAYS):
            while newest + 1 < self.plan.pages and self.plan.pub_day[newest + 1] <= day:
                newest += 1
            self._run(day, newest)
        self._flush()
        self._pages()

    def _blob(self, payload: bytes, at: datetime) -> str:
        sha = blobs.sha256_hex(payload)
        if sha not in self.blobs_seen:
            self.blobs_seen.add(sha)
            compression, data = blobs.compress(payload)
            self.blob_rows.append((sha, len(payload), compression, data, at))
        return sha

    def _capture(self, values: dict[str, Any]) -> int:
        self.capture_id += 1
        values["id"] = self.capture_id
        values["chain_sha256"] = capture_digest(self.head, values)
        self.head = values["chain_sha256"]
        self.captures.append(values)
        return self.capture_id

    def _event(
        self,
        page_id: int,
        kind: str,
        at: datetime,
        capture_id: int | None,
        run_id: int,
        detail: dict[str, Any],
    ) -> None:
        self.events.append(
            {
                "page_id": page_id,
                "kind": kind,
                "at": at,
                "capture_id": capture_id,
                "run_id": run_id,
                "detail": detail,
            }
        )

    def _run(self, day: int, newest: int) -> None:
        plan = self.plan
        run_id = day + 1
        started = _moment(_run_start_us(day))
        counts = {o.value: 0 for o in Outcome if o not in (Outcome.CONTENT, Outcome.LISTING)}
        downloaded = 0
        for number, at_us in enumerate(plan.list_times[day]):
            at = _moment(at_us)
            payload = _list_bytes(plan, self.titles, day, number, newest)
            sha = self._blob(payload, at)
            etag = '"' + sha[:20] + '"'
            url = _list_url(number)
            headers = [
                ["Content-Length", str(len(payload))],
                ["Server", "nginx"],
                ["Date", _http_date(at)],
                ["Content-Type", "text/html; charset=utf-8"],
                ["Etag", etag],
            ]
            page_id = number + 1
            capture = self._capture(
                {
                    "page_id": page_id,
                    "run_id": run_id,
                    "captured_at": at,
                    "requested_url": url,
                    "final_url": url,
                    "status": 200,
                    "headers": headers,
                    "etag": etag,
                    "last_modified": None,
                    "payload_sha256": sha,
                    "payload_size": len(payload),
                    "outcome": Outcome.LISTING.value,
                    "version_id": None,
                    "error": None,
                }
            )
            first = self.list_seen.get(page_id, (at_us,))[0]
            self.list_seen[page_id] = (first, at_us, capture, url)
            downloaded += len(payload)
        unlisted = 0
        for page in self.unlisted_by_day.get(day, []):
            if self.status[page].state is State.LIVE and self.listed[page]:
                self.listed[page] = False
                unlisted += 1
                detail = {"last_listed_at": _moment(self.listed_at[page]).isoformat()}
                self._event(self.first_page_id + page, "unlisted", started, None, run_id, detail)
        revisits = 0
        for page, index in plan.order[day]:
            outcome, size = self._article(page, index, run_id, started)
            counts[outcome] += 1
            downloaded += size
            revisits += index > 0
        last = max([*plan.list_times[day], *(plan.times[p][i] for p, i in plan.order[day])])
        errors = counts["error"]
        walk = ListWalkState(
            complete=day == 0,
            cursors={COLUMN_PATH: Cursor(0 if day == 0 else 1, started)},
        )
        process = RunProcess(20_000 + day, "synthetic")
        arguments = RunArguments(
            "crawl", SITE, process, list_walk="complete" if day == 0 else "incremental"
        )
        self.runs.append(
            {
                "id": run_id,
                "site_id": 1,
                "command": "crawl",
                "arguments": arguments.to_json(),
                "started_at": started,
                "finished_at": _moment(last + 2_000_000),
                "status": "finished",
                "counts": {
                    "requested": len(plan.list_times[day]) + len(plan.order[day]),
                    **counts,
                    "errors": errors,
                    "errors_by_kind": {"error": errors} if errors else {},
                    "list_pages": len(plan.list_times[day]),
                    "list_pages_failed": 0,
                    "copies_unreadable": 0,
                    "skipped": 0,
                    "unlisted": unlisted,
                    "revisits_due": revisits,
                    "revisits_checked": revisits,
                    "revisits_left": 0,
                    "write_errors": 0,
                    **walk.to_counts(),
                    "rejected_by_reason": {},
                    "duplicates_found": {},
                    "bytes": downloaded,
                    "retries": 0,
                    "retry_waited_seconds": 0.0,
                    "finish_reason": "finished",
                    "unreachable": None,
                },
                "exit_code": 1 if errors else 0,
                "chain_sha256": self.head or None,
            }
        )
        if len(self.captures) >= CHUNK_CAPTURES:
            self._flush()

    def _article(self, page: int, index: int, run_id: int, started: datetime) -> tuple[str, int]:
        plan, state = self.plan, self.states[page]
        role = plan.roles[page][index]
        at_us = plan.times[page][index]
        at = _moment(at_us)
        page_id = self.first_page_id + page
        url = self.current[page]
        made = self.made[page]
        values: dict[str, Any] = {
            "page_id": page_id,
            "run_id": run_id,
            "captured_at": at,
            "requested_url": url,
            "final_url": url,
            "status": 200,
            "headers": [],
            "etag": None,
            "last_modified": None,
            "payload_sha256": None,
            "payload_size": None,
            "outcome": "",
            "version_id": None,
            "error": None,
        }
        server = [["Server", "nginx"], ["Date", _http_date(at)]]
        moved_to = None
        if role in "vun":
            if role == "v":
                made += 1
                self.made[page] = made
            number = made - 1
            etag = state.etags[number]
            modified = self._modified(page, number)
            if role == "n":
                verdict = Outcome.NOT_MODIFIED
                values.update(
                    status=304, headers=[*server, ["Etag", etag], ["Last-Modified", modified]]
                )
                values["outcome"] = verdict.value
            else:
                verdict = Outcome.CONTENT
                sha, size = state.blobs[number]
                values.update(
                    headers=[
                        ["Content-Length", str(size)],
                        *server,
                        ["Content-Type", "text/html; charset=utf-8"],
                        ["Etag", etag],
                        ["Last-Modified", modified],
                    ],
                    payload_sha256=sha,
                    payload_size=size,
                )
                if role == "v":
                    values["outcome"] = "new" if made == 1 else "changed"
                    if made > 1:
                        self.last_changed[page] = at_us
                else:
                    values["outcome"] = Outcome.UNCHANGED.value
            values.update(etag=etag, last_modified=modified, version_id=state.version_ids[number])
            self.validators[page] = (etag, modified)
        elif role == "e":
            verdict = Outcome.ERROR
            values.update(
                status=None,
                error=f"TimeoutError: User timeout caused connection failure: Getting {url} took "
                "longer than 180.0 seconds..",
                outcome=verdict.value,
            )
        elif role == "f":
            verdict = Outcome.NOT_FOUND
            sha = self._blob(_NOT_FOUND_PAGE, at)
            values.update(
                status=404,
                headers=[
                    *server,
                    ["Content-Type", "text/html"],
                    ["Content-Length", str(len(_NOT_FOUND_PAGE))],
                ],
                payload_sha256=sha,
                payload_size=len(_NOT_FOUND_PAGE),
                outcome=verdict.value,
                error="HTTP 404",
            )
        else:  # m: 301 to the same article under another column
            verdict = Outcome.MOVED
            moved_to = _url(self.plan, page, MOVED_PATH)
            sha = self._blob(_MOVED_PAGE, at)
            values.update(
                status=301,
                headers=[
                    *server,
                    ["Content-Type", "text/html"],
                    ["Content-Length", str(len(_MOVED_PAGE))],
                    ["Location", moved_to],
                ],
                payload_sha256=sha,
                payload_size=len(_MOVED_PAGE),
                outcome=verdict.value,
            )
        capture_id = self._capture(values)
        if index == 0:
            self.state_since[page] = at_us
            self.listed_at[page] = _run_start_us(plan.days[page][0])
            self.urls.append((at_us, page_id, url))
        if moved_to is not None:
            self.urls.append((at_us, page_id, moved_to))
            self._event(page_id, "moved", at, capture_id, run_id, {"from": url, "to": moved_to})
            self.current[page] = moved_to
        before = self.status[page]
        after, event = after_capture(before, verdict, at, RULES)
        if after.state is not before.state:
            self.state_since[page] = at_us
        if event is not None:
            detail: dict[str, Any] = {"status": values["status"], "outcome": verdict.value}
            if after.missing_since is not None:
                detail["missing_since"] = after.missing_since.astimezone(UTC).isoformat()
            self._event(page_id, event.value, at, capture_id, run_id, detail)
        self.status[page] = after
        self.last[page] = (at_us, values["status"], values["outcome"])
        return values["outcome"], values["payload_size"] or 0

    def _modified(self, page: int, number: int) -> str:
        """An article's Last-Modified: its publication, or an hour before the edit was seen."""
        if number == 0:
            return _http_date(_moment(_published_us(self.plan, page)))
        made = [
            t for t, r in zip(self.plan.times[page], self.plan.roles[page], strict=True) if r == "v"
        ]
        return _http_date(_moment(made[number] - 3_600_000_000))

    def _flush(self) -> None:
        c = self.connection
        _BLOB(c, self.blob_rows)
        _CAPTURE(c, self.captures)
        _EVENT(c, self.events)
        c.commit()
        self.blob_rows, self.captures, self.events = [], [], []

    def _pages(self) -> None:
        plan, c = self.plan, self.connection
        c.execute(insert(RUN_T), self.runs)
        rows = []
        for page_id, (first, last, _, url) in sorted(self.list_seen.items()):
            rows.append(
                {
                    "id": page_id,
                    "site_id": 1,
                    "url": url,
                    "current_url": url,
                    "kind": "list",
                    "doc_id": None,
                    "first_seen_at": _moment(first),
                    "last_captured_at": _moment(last),
                    "last_status": 200,
                    "last_outcome": Outcome.LISTING.value,
                    "state": State.LIVE.value,
                    "state_since": _moment(first),
                    "published_at": None,
                    "last_changed_at": None,
                    "last_listed_at": None,
                    "is_listed": True,
                    "etag": None,
                    "last_modified": None,
                    "missing_since": None,
                    "missing_checks": 0,
                }
            )
            self.urls.append((first, page_id, url))
        for page in range(plan.pages):
            state, status = self.states[page], self.status[page]
            last = self.last[page]
            assert last is not None
            etag, modified = self.validators[page]
            changed = self.last_changed[page]
            rows.append(
                {
                    "id": self.first_page_id + page,
                    "site_id": 1,
                    "url": _url(plan, page),
                    "current_url": self.current[page],
                    "kind": "article",
                    "doc_id": str(plan.doc_id[page]),
                    "first_seen_at": _moment(plan.times[page][0]),
                    "last_captured_at": _moment(last[0]),
                    "last_status": last[1],
                    "last_outcome": last[2],
                    "state": status.state.value,
                    "state_since": _moment(self.state_since[page]),
                    "published_at": datetime.fromisoformat(state.published[-1]),
                    "last_changed_at": _moment(changed) if changed else None,
                    "last_listed_at": _moment(self.listed_at[page]),
                    "is_listed": self.listed[page],
                    "etag": etag,
                    "last_modified": modified,
                    "missing_since": status.missing_since,
                    "missing_checks": status.missing_checks,
                }
            )
        for start in range(0, len(rows), 50_000):
            _PAGE(c, rows[start : start + 50_000])
        self.urls.sort()
        url_rows = [(page_id, url, _moment(at)) for at, page_id, url in self.urls]
        for start in range(0, len(url_rows), 50_000):
            _URL(c, url_rows[start : start + 50_000])
        c.commit()


def _pragmas(connection: Connection) -> None:
    """This build connection only: no journal, no fsync (a build that fails is thrown away), a
    large cache, foreign keys left to the order of the inserts. _done() puts WAL back."""
    for pragma in (
        "journal_mode=OFF",
        "synchronous=OFF",
        "foreign_keys=OFF",
        "cache_size=-1000000",
        "temp_store=MEMORY",
    ):
        connection.exec_driver_sql(f"PRAGMA {pragma}")
    connection.commit()


def build(
    path: str | Path,
    *,
    pages: int = 200_000,
    versions: int = 400_000,
    captures: int = 1_000_000,
    seed: int = 1,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Summary:
    """Build the archive at `path` (a new file): see the module docstring."""
    path = Path(path)
    if path.exists() and path.stat().st_size > 0:
        raise FileExistsError(f"{path} exists: the synthetic archive is built into a new file")
    say = progress or (lambda line: None)
    workers = (os.cpu_count() or 1) if workers is None else workers
    started = time.perf_counter()
    phases: dict[str, float] = {}
    plan = make_plan(pages, versions, captures, seed)
    phases["plan"] = time.perf_counter() - started
    say(f"planned in {phases['plan']:.1f} s")
    # The workers are forked before the archive is opened: no connection is ever shared.
    pool = multiprocessing.get_context("fork").Pool(workers) if workers > 0 else None
    archive = open_archive(str(path), create=True)
    list_ids = max(plan.list_pages)
    states = [_PageState() for _ in range(pages)]
    try:
        with archive.engine.connect() as connection:
            _pragmas(connection)
            first_run = _moment(_run_start_us(0))
            connection.execute(
                insert(SITE_T), {"id": 1, "name": SITE, "origin": ORIGIN, "created_at": first_run}
            )
            mark = time.perf_counter()
            flush = _Flush(connection, list_ids + 1, states)
            for done, (page, versions_of, checked, differing) in enumerate(
                _results(plan, seed, pool, workers), start=1
            ):
                flush.add(page, versions_of, checked, differing)
                following = plan.times[page + 1][0] if page + 1 < pages else 2**62
                flush.release(following)
                if done % 20_000 == 0:
                    say(f"{done:,} pages, {flush.version_id:,} versions")
            flush.release(2**63)
            flush.commit()
            phases["versions"] = time.perf_counter() - mark
            say(f"versions in {phases['versions']:.0f} s")
            mark = time.perf_counter()
            runner = _Captures(connection, plan, states, list_ids)
            runner.run_all()
            phases["captures"] = time.perf_counter() - mark
            say(f"captures in {phases['captures']:.0f} s")
            counts = {name: _count(connection, name) for name in TABLES}
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
            connection.commit()
    finally:
        if pool is not None:
            pool.terminate()
        archive.close()  # the last connection checkpoints and removes the write-ahead log
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
    return Summary(
        path,
        counts,
        size,
        time.perf_counter() - started,
        phases,
        flush.checked,
        flush.differing,
    )


def _count(connection: Connection, table: str) -> int:
    if table == FTS_TABLE:
        return int(
            connection.execute(text(f"SELECT count(*) FROM {FTS_TABLE}_docsize")).scalar_one()
        )
    return int(connection.execute(select(func.count()).select_from(T[table])).scalar_one())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--pages", type=int, default=200_000)
    parser.add_argument("--versions", type=int, default=400_000)
    parser.add_argument("--captures", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    options = parser.parse_args()
    summary = build(
        options.path,
        pages=options.pages,
        versions=options.versions,
        captures=options.captures,
        seed=options.seed,
        workers=options.workers,
        progress=lambda line: print(line, flush=True),
    )
    print("\n".join(summary.lines()))


if __name__ == "__main__":
    main()
