"""Listed pages behind options: duplicates and href traps (--duplicates), invalid articles
(--invalid), hostile articles (--hostile), articles with hard files (--files)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from . import files, hostile, textgen
from .identity import IDENTITY
from .model import (
    CANONICAL_ORIGIN,
    LIST_PATH,
    SHANGHAI,
    XXGK_COLUMN_PATH,
    Article,
    Content,
    Features,
    Paragraph,
    Segment,
)
from .pages import href_for

if TYPE_CHECKING:
    from .timeline import Timeline

TWO_COLUMNS_RANK = 1  # also published in the 信息公开 column
LEGACY_COPY_RANK = 4  # also served at a legacy /art/ URL
RE_EDITED_RANK = 37  # republished RE_EDIT_DELAY later, lightly re-edited
RE_EDIT_DELAY = timedelta(days=4, hours=1, minutes=17)
TRAPS = {0: "fragment", 2: "port", 3: "dot_segments", 5: "upper_host", 6: "utm", 7: "from"}
HOME_TRAP = f"{LIST_PATH}index.html"  # the home page's 更多 link to list page 0
EPOCH = datetime(1970, 1, 1, 8, 0, tzinfo=SHANGHAI)  # a zero timestamp shown in Asia/Shanghai
FUTURE = timedelta(days=3)
SENTENCE = re.compile(r".+?。(?!”)")
BOILERPLATE = ("【字号：大 中 小】", "打印本页", "关闭窗口")
INVALID_ROLES = ("date_too_old", "date_in_future", "boilerplate_body")
EXTRA_IDS = (1230000, 1260000)  # fresh doc ids are drawn here, never an article's id
PLAIN = Features(
    template="news",
    time_variant="fullwidth",
    has_gov_meta=True,
    encoding="utf-8",
    charset_declared="header+meta",
    href_style="root",
    indent="ideographic",
    images=0,
    attachments=0,
    body_link=False,
    cache_bust=False,
    token=False,
    long_title=False,
    empty_source=False,
    empty_paragraph=False,
)


@dataclass(frozen=True)
class Extra:
    """A page beyond the timeline's articles; article gives its doc id, first day and template."""

    role: str  # two_columns | legacy_url | re_edited | date_too_old | date_in_future |
    # boilerplate_body | hostile_markup | hostile_text | files_* (files.ARTICLE_ROLES)
    article: Article
    path: str
    original: int | None  # the duplicated article's key
    href_style: str  # how the list links it

    @property
    def duplicate(self) -> bool:
        return self.original is not None


def trap_href(kind: str, path: str, style: str) -> str:
    """The list href of a trap article: its usual href with the trap applied."""
    href = href_for(path, style)
    if kind == "fragment":
        return href + "#content"
    if kind == "utm":
        return href + "?utm_source=wechat&utm_medium=share"
    if kind == "from":
        return href + "?from=timeline"
    if kind == "dot_segments":
        return f"./../col{IDENTITY.column_id}/" + path.removeprefix(LIST_PATH)
    host = urlsplit(CANONICAL_ORIGIN).hostname or ""
    if kind == "upper_host":
        return f"http://{host.upper()}{path}"
    return f"http://{host}:80{path}"


def news_path(moment: datetime, doc_id: int) -> str:
    return f"{LIST_PATH}{moment:%Y%m}/t{moment:%Y%m%d}_{doc_id}.html"


class Extras:
    """The extra pages of the options in force, by index; empty when the flags are off."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.options = timeline.options
        # Drawn in order: a flag's ids never depend on the others.
        ids = self._fresh_ids(8 + len(files.ARTICLES))
        self.items: list[Extra] = []
        if self.options.duplicates:
            self.items += self._duplicates(ids[:3])
        if self.options.invalid:
            self.items += self._invalid(ids[3:6])
        if self.options.hostile:
            self.items += self._hostile(ids[6:8])
        self.files = files.FileSet(self.options, ids[8:])  # empty unless --files
        self.items += [
            Extra(a.role, self._identity(a.doc_id, a.moment, PLAIN), a.path, None, a.href_style)
            for a in self.files.articles
        ]
        self.by_path = {extra.path: index for index, extra in enumerate(self.items)}

    def _fresh_ids(self, count: int) -> list[int]:
        used = set(self.timeline.doc_ids)
        rng = random.Random(f"{self.options.seed}:extra-ids")
        ids: list[int] = []
        while len(ids) < count:
            doc_id = rng.randrange(*EXTRA_IDS)
            if doc_id not in used:
                used.add(doc_id)
                ids.append(doc_id)
        return ids

    def _identity(self, doc_id: int, moment: datetime, features: Features) -> Article:
        first_day = max(1, self.options.day_of(moment.date()))
        return Article(-doc_id, doc_id, moment, first_day, features)

    def _duplicates(self, ids: list[int]) -> list[Extra]:
        timeline = self.timeline
        two = timeline.article(TWO_COLUMNS_RANK).published
        old = timeline.article(LEGACY_COPY_RANK).published
        when = timeline.article(RE_EDITED_RANK).published + RE_EDIT_DELAY
        xxgk, legacy = replace(PLAIN, template="xxgk"), replace(PLAIN, template="legacy")
        return [
            Extra(
                "two_columns",
                self._identity(ids[0], two, xxgk),
                f"{XXGK_COLUMN_PATH}{two:%Y%m}/t{two:%Y%m%d}_{ids[0]}.html",
                TWO_COLUMNS_RANK,
                "root",
            ),
            Extra(
                "legacy_url",
                self._identity(ids[1], old, legacy),
                f"/art/{old.year}/{old.month}/{old.day}/art_14329_{ids[1]}.html",
                LEGACY_COPY_RANK,
                "root",
            ),
            Extra(
                "re_edited",
                self._identity(ids[2], when, PLAIN),
                news_path(when, ids[2]),
                RE_EDITED_RANK,
                "relative",
            ),
        ]

    def _invalid(self, ids: list[int]) -> list[Extra]:
        start = self.options.start_date
        rng = random.Random(f"{self.options.seed}:invalid")
        result = []
        roles = (("date_too_old", "relative"), ("date_in_future", "absolute"))
        for doc_id, (role, style) in zip(ids, (*roles, ("boilerplate_body", "root")), strict=True):
            minute = rng.randrange(8 * 60, 18 * 60)
            moment = datetime.combine(start, time(minute // 60, minute % 60), SHANGHAI)
            article = self._identity(doc_id, moment, PLAIN)
            result.append(Extra(role, article, news_path(moment, doc_id), None, style))
        return result

    def _hostile(self, ids: list[int]) -> list[Extra]:
        start = self.options.start_date
        rng = random.Random(f"{self.options.seed}:hostile")
        result = []
        for doc_id, role, style in zip(ids, hostile.ROLES, ("root", "relative"), strict=True):
            minute = rng.randrange(8 * 60, 18 * 60)
            moment = datetime.combine(start, time(minute // 60, minute % 60), SHANGHAI)
            article = self._identity(doc_id, moment, PLAIN)
            result.append(Extra(role, article, news_path(moment, doc_id), None, style))
        return result

    # --- queries

    def existing(self, day: int) -> list[int]:
        return [i for i, extra in enumerate(self.items) if extra.article.first_day <= day]

    def find(self, path: str, day: int) -> int | None:
        index = self.by_path.get(path)
        if index is None or self.items[index].article.first_day > day:
            return None
        return index

    def content(self, index: int, day: int) -> Content:
        extra = self.items[index]
        seed = self.timeline.seed
        if extra.duplicate:
            original = self.timeline.content_on(extra.original, day)
            if extra.role == "re_edited":
                return re_edited(seed, extra, self.timeline.article(extra.original), original)
            return original
        if extra.role in hostile.ROLES:
            return hostile.content(seed, extra.role, extra.article)
        if extra.role in files.ARTICLE_ROLES:
            return files.content(seed, extra.article, self.files.by_role[extra.role])
        base = textgen.base_content(seed, extra.article)
        if extra.role == "date_too_old":
            return replace(base, published_at=EPOCH)
        if extra.role == "date_in_future":
            shown = datetime.combine(self.options.date_of(day) + FUTURE, time(9, 30), SHANGHAI)
            return replace(base, published_at=shown)
        return replace(base, paragraphs=boilerplate_paragraphs())

    def rows(self, day: int) -> list[tuple[float, int, int]]:
        """(list sort time, doc id, index) for the list; shown dates sort, as for articles."""
        return [
            (self.content(i, day).published_at.timestamp(), self.items[i].article.doc_id, i)
            for i in self.existing(day)
        ]

    def trap_kind(self, key: int) -> str | None:
        return TRAPS.get(key) if self.options.duplicates else None

    # --- truth

    def truth(self, day: int) -> dict[str, list[dict]]:
        return {
            "duplicates": self._duplicates_truth(day),
            "traps": self._traps_truth(day),
            "invalid": self._invalid_truth(day),
            "hostile": self._hostile_truth(day),
            "files": self.files.truth(day, {self.items[i].role for i in self.existing(day)}),
        }

    def _duplicates_truth(self, day: int) -> list[dict]:
        entries = []
        for index in self.existing(day):
            extra = self.items[index]
            if extra.duplicate:
                content = self.content(index, day)
                original = CANONICAL_ORIGIN + self.timeline.canonical_path(extra.original)
                entries.append(
                    {
                        "kind": extra.role,
                        "urls": [original, CANONICAL_ORIGIN + extra.path],
                        "title": content.title,
                        "published_at": content.published_at.isoformat(),
                        "source": content.source,
                        "body": content.body_text(),
                    }
                )
        return entries

    def _traps_truth(self, day: int) -> list[dict]:
        if not self.options.duplicates:
            return []
        timeline = self.timeline
        listed = {entry.key for entry in timeline.listing(day) if entry.kind == "article"}
        entries = []
        for key, kind in TRAPS.items():
            if key in listed:
                path = timeline.listed_path(key, day)
                style = timeline.article(key).features.href_style
                href = trap_href(kind, path, style)
                entries.append({"href": href, "url": CANONICAL_ORIGIN + path, "where": "list"})
        home = {"href": HOME_TRAP, "url": CANONICAL_ORIGIN + LIST_PATH, "where": "home"}
        return [*entries, home]

    def _invalid_truth(self, day: int) -> list[dict]:
        entries = []
        for index in self.existing(day):
            extra = self.items[index]
            if extra.role in INVALID_ROLES:
                content = self.content(index, day)
                entries.append(
                    {
                        "url": CANONICAL_ORIGIN + extra.path,
                        "reason": extra.role,
                        "title": content.title,
                        "published_at": content.published_at.isoformat(),
                    }
                )
        return entries

    def _hostile_truth(self, day: int) -> list[dict]:
        entries = []
        for index in self.existing(day):
            extra = self.items[index]
            if extra.role in hostile.ROLES:
                content = self.content(index, day)
                markup = extra.role == "hostile_markup"
                entries.append(
                    {
                        "role": extra.role,
                        "doc_id": str(extra.article.doc_id),
                        "url": CANONICAL_ORIGIN + extra.path,
                        "path": extra.path,
                        "title": content.title,
                        "published_at": content.published_at.isoformat(),
                        "source": content.source,
                        "paragraphs": hostile.expected_paragraphs(content),
                        "beacons": list(hostile.BEACONS) if markup else [],
                    }
                )
        return entries


def boilerplate_paragraphs() -> tuple[Paragraph, ...]:
    lines = [Paragraph(i, "text", (Segment("text", t),)) for i, t in enumerate(BOILERPLATE)]
    return (*lines, Paragraph(len(lines), "empty"))


@lru_cache(maxsize=64)
def re_edited(seed: int, extra: Extra, article: Article, original: Content) -> Content:
    """The original republished: title lightly changed, one sentence changed, one paragraph added."""
    rng = random.Random(f"{seed}:re-edit:{extra.article.doc_id}")
    title = original.title
    title = title.replace("我区", "陈仓区", 1) if "我区" in title else "陈仓：" + title
    paragraphs = list(original.paragraphs)
    index, changed = changed_sentence(seed, article, paragraphs, rng)
    paragraphs[index] = changed
    pid = max(p.pid for p in paragraphs) + 1
    added = textgen.added_paragraph(seed, article, pid, "re-edit")
    return replace(
        original,
        title=title,
        published_at=extra.article.published,
        paragraphs=(*paragraphs, added),
    )


def sentences(text: str) -> list[str]:
    """Sentences ending in 。 (a quote's 。” stays inside its sentence), then any remainder."""
    found = SENTENCE.findall(text)
    rest = text[len("".join(found)) :]
    return [*found, rest] if rest else found


def sentence_places(paragraphs: list[Paragraph], first: int) -> list[tuple[int, int]]:
    """(paragraph index, segment index) of text segments holding a sentence, from first on."""
    return [
        (i, s)
        for i, p in enumerate(paragraphs)
        if i >= first and p.kind == "text"
        for s, segment in enumerate(p.segments)
        if segment.kind == "text" and SENTENCE.search(segment.text)
    ]


def changed_sentence(
    seed: int, article: Article, paragraphs: list[Paragraph], rng: random.Random
) -> tuple[int, Paragraph]:
    """A text paragraph (after the lead if it can) with one sentence replaced by another one
    about the same story."""
    index, position = rng.choice(sentence_places(paragraphs, 1) or sentence_places(paragraphs, 0))
    paragraph = paragraphs[index]
    parts = sentences(paragraph.segments[position].text)
    target = rng.randrange(len(SENTENCE.findall(paragraph.segments[position].text)))
    writer = textgen.Writer(rng, textgen.story(seed, article))
    replacement = parts[target]
    while replacement == parts[target]:
        replacement = writer.sentence(set())
    parts[target] = replacement
    segments = list(paragraph.segments)
    segments[position] = Segment("text", "".join(parts))
    return index, replace(paragraph, segments=tuple(segments))
