"""The mirror host: damaged copies of some 陈仓要闻 articles at their own paths (docs/site.md §6)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from .model import CANONICAL_ORIGIN, LIST_PATH, Content
from .pages import text
from .pinyin import READINGS
from .traditional import TRADITIONAL

if TYPE_CHECKING:
    from .timeline import Timeline

MIRROR_RANKS = frozenset(
    {0, 1, 2, 3, 15, 19}
)  # always mirrored while live; also every rank % 3 == 0
BREADCRUMB = "首页 > 新闻中心 > 陈仓要闻 |"  # the seed's first line, trailing " |" included
ALWAYS_ANNOTATED = frozenset(
    "頁倉"
)  # so the breadcrumb reads 首頁(yè) > 新聞中心 > 陳倉(cāng)要聞 |
NEVER_ANNOTATED = frozenset("陳聞")
ANNOTATED_SHARE = (0.35, 0.55)  # of the page's converted character types
TO_ASCII = {"，": ",", "：": ":"}  # the seed has no full-width comma left
ARTICLE_PATH = re.compile(rf"^{re.escape(LIST_PATH)}\d{{6}}/t\d{{8}}_(\d+)\.html$")
SITE_NAME = "鑫源资讯网"

NAV = (
    '<div class="nav"><a href="/">网站首页</a> | <a href="/news/">新闻资讯</a> | '
    '<a href="/hot/">热门推荐</a> | <a href="/tags/">标签</a> <span>本站内容来源于网络</span></div>'
)
FOOTER = (
    '<div class="footer">Copyright © 2023 鑫源资讯网 版权所有 本站部分内容转载自互联网，'
    '如有侵权请联系删除 <a href="/sitemap.xml">网站地图</a> 备案号：京ICP备00000000号</div>'
)


@dataclass(frozen=True)
class MirrorCopy:
    """One damaged page: its lines after the breadcrumb's, and what the truth reports."""

    title: str | None  # the damaged title, None when dropped
    lines: tuple[str, ...]  # breadcrumb, the 来源/发布时间 line unless dropped, body lines
    annotations: int
    mojibake_run: str | None  # the run as shown after its "?", None without mojibake


def title_dropped(key: int) -> bool:
    """Even ranks lose the title and the 来源/发布时间 line (the seed lost both)."""
    return key % 2 == 0


def has_mojibake(key: int) -> bool:
    return key % 4 in (0, 1)


def is_mirrored(timeline: Timeline, key: int, day: int) -> bool:
    """Live 陈仓要闻 articles with rank % 3 == 0 or in MIRROR_RANKS."""
    if timeline.article(key).template != "news":
        return False
    if key % 3 != 0 and key not in MIRROR_RANKS:
        return False
    return timeline.state_on(key, day).state == "live"


def mirrored_keys(timeline: Timeline, day: int) -> list[int]:
    return [k for k in range(timeline.published_count(day)) if is_mirrored(timeline, k, day)]


# --- damage


def convert(line: str) -> str:
    """Simplified to traditional character by character; ，and ：become ASCII."""
    return "".join(TO_ASCII.get(c) or TRADITIONAL.get(c, c) for c in line)


def choose_annotated(rng: random.Random, converted: set[str]) -> frozenset[str]:
    """A share of the page's converted character types; every occurrence gets annotated."""
    free = sorted(converted - ALWAYS_ANNOTATED - NEVER_ANNOTATED)
    share = rng.uniform(*ANNOTATED_SHARE)
    return frozenset(rng.sample(free, round(share * len(free)))) | ALWAYS_ANNOTATED


def annotate(line: str, annotated: frozenset[str]) -> str:
    return "".join(f"{c}({READINGS[c]})" if c in annotated else c for c in line)


def out_of_step(line: str, start: int) -> tuple[str, int] | None:
    """GBK bytes decoded one byte out of step from the trail byte of line[start] (its lead byte
    is the broken one, shown as "?") until an ASCII byte brings the decoder back in step.

    Returns (the run as shown, characters it replaces after line[start]); the repair
    run.encode("gbk")[1:].decode("gbk") gives those characters back exactly.
    """
    leftover = line[start].encode("gbk")[1:]
    if len(leftover) != 1 or leftover[0] < 0x80:
        return None
    stream = leftover
    for end in range(start + 1, len(line)):
        encoded = line[end].encode("gbk")
        if len(encoded) != 2:
            return None  # a real ASCII byte while out of step: a second broken byte
        stream += encoded
        try:
            run = stream.decode("gbk")
        except UnicodeDecodeError as error:
            if error.start < len(stream) - 1:
                return None  # an invalid pair: a second broken byte
            continue  # still out of step
        if run.encode("gbk") != stream or not run.isprintable():
            return None
        return run, end - start
    return None


def garble(line: str, rng: random.Random) -> tuple[str, str] | None:
    """One mojibake run in the line, at a seeded place where a clean run fits, or None."""
    starts = list(range(len(line)))
    rng.shuffle(starts)
    for start in starts:
        found = out_of_step(line, start)
        if found is None:
            continue
        run, length = found
        after = start + 1 + length
        if length >= 2 and line[after : after + 1] != "(":  # no annotation after the run
            return line[:start] + "?" + run + line[after:], run
    return None


def meta_line(content: Content) -> str:
    return f"来源：{content.source} 发布时间：{content.published_at:%Y-%m-%d %H:%M}"


def garble_one(lines: list[str], first: int, rng: random.Random) -> str | None:
    """Put one mojibake run into a seeded line from lines[first:]; returns the run."""
    for index in rng.sample(range(first, len(lines)), len(lines) - first):
        if garbled := garble(lines[index], rng):
            lines[index], run = garbled
            return run
    return None


@lru_cache(maxsize=1024)
def damaged_copy(seed: int, key: int, path: str, content: Content) -> MirrorCopy:
    """The mirror's copy of one article version (rules in tests/replica/README.md)."""
    rng = random.Random(f"{seed}:mirror:{path}")
    kept = not title_dropped(key)
    title = [content.title] if kept else []
    meta = [meta_line(content)] if kept else []
    plain = [*title, BREADCRUMB, *meta, *content.body_text().split("\n")]
    converted = [convert(line) for line in plain]
    annotated = choose_annotated(rng, {c for line in converted for c in line if c in READINGS})
    lines = [annotate(line, annotated) for line in converted]
    count = sum(line.count("(") for line in lines)
    first_body = len(title) + 1 + len(meta)
    run = garble_one(lines, first_body, rng) if has_mojibake(key) else None
    shown_title = lines.pop(0) if kept else None
    return MirrorCopy(shown_title, tuple(lines), count, run)


def copy_on(timeline: Timeline, key: int, day: int) -> MirrorCopy:
    path = timeline.canonical_path(key)
    return damaged_copy(timeline.seed, key, path, timeline.content_on(key, day))


def lookup(timeline: Timeline, path: str, day: int) -> int | None:
    """The key of the article whose damaged copy the mirror serves at this path today."""
    match = ARTICLE_PATH.match(path)
    key = timeline.key_by_doc.get(int(match.group(1))) if match else None
    if key is None or key >= timeline.published_count(day):
        return None
    if timeline.canonical_path(key) != path or not is_mirrored(timeline, key, day):
        return None
    return key


# --- markup and truth


def mirror_page(copy: MirrorCopy) -> str:
    title = f"<title>{text(copy.title)}_{SITE_NAME}</title>" if copy.title else ""
    heading = [f"<h1>{text(copy.title)}</h1>"] if copy.title else []
    return "\n".join(
        [
            "<html>",
            f'<head><meta charset="utf-8">{title or f"<title>{SITE_NAME}</title>"}</head>',
            "<body>",
            NAV,
            '<div class="article">',
            *heading,
            *(f"<p>{text(line)}</p>" for line in copy.lines),
            "</div>",
            FOOTER,
            "</body>",
            "</html>",
            "",
        ]
    )


NOT_FOUND_PAGE = (
    f'<html><head><meta charset="utf-8"><title>404 - {SITE_NAME}</title></head>'
    f"<body>{NAV}<h1>404 Not Found</h1><p>您访问的页面已删除或不存在</p>{FOOTER}</body></html>\n"
)


def mirror_truth(timeline: Timeline, day: int, origin: str) -> list[dict]:
    """One entry per copy served today (the truth's "mirrors")."""
    entries = []
    for key in mirrored_keys(timeline, day):
        path = timeline.canonical_path(key)
        copy = copy_on(timeline, key, day)
        entries.append(
            {
                "path": path,
                "url": origin + path,
                "original_url": CANONICAL_ORIGIN + path,
                "title_dropped": copy.title is None,
                "annotations": copy.annotations,
                "mojibake": copy.mojibake_run is not None,
                "mojibake_run": copy.mojibake_run,
                "original_body": timeline.content_on(key, day).body_text(),
            }
        )
    return entries
