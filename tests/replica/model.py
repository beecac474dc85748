"""Plain data of the replica: options, article identity and features, article content."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from .identity import IDENTITY

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
CANONICAL_ORIGIN = IDENTITY.origin
LIST_PATH = IDENTITY.column_path
XXGK_COLUMN_PATH = "/col14317/col14320/col14328/col14329/"
DEFAULT_SEED = int(IDENTITY.column_id)  # 8174 for chencang: each site its own articles
MIN_ARTICLES = 40  # the scripted scenario needs roles up to rank 33 plus an archive tail

WHITESPACE = " \t\r\n\u3000\xa0"  # stripped from both ends of every paragraph

EDIT_MODELS = ("uniform", "decaying")  # --edit-model

# 发布时间 variants, cycled over news articles by key (key % 5); see README.
TIME_VARIANTS = ("fullwidth", "ascii", "nbsp", "seconds", "chinese")


@dataclass(frozen=True)
class Options:
    """Everything that determines the simulated site (the command-line options)."""

    articles: int = 47
    day: int = 1
    seed: int = DEFAULT_SEED
    template: str = "A"
    per_page: int = 20
    start_date: date = date(2025, 12, 1)
    days: int = 30
    edit_rate: float = 0.0
    # Who the --edit-rate edits go to: any article alike (uniform), or mostly the newest
    # (decaying: an article's weight halves every edit_half_life days of age).
    edit_model: str = "uniform"
    edit_half_life: float = 3.0
    robots: str = "permissive"
    legacy: str = "page"
    mirror: bool = False  # a second host serving damaged copies (docs/site.md §6)
    duplicates: bool = False  # the same article at two URLs, list-href traps
    invalid: bool = False  # three listed articles a crawler must reject
    hostile: bool = False  # two listed articles a crawler must keep, hostile to a viewer
    files: bool = False  # nine listed articles whose images and attachments are hard cases

    def date_of(self, day: int) -> date:
        return self.start_date + timedelta(days=day - 1)

    def day_of(self, when: date) -> int:
        return (when - self.start_date).days + 1


@dataclass(frozen=True)
class Segment:
    """A run of paragraph text: kind is text, strong, span or link (href set for links)."""

    kind: str
    text: str
    href: str = ""


@dataclass(frozen=True)
class Paragraph:
    """A body paragraph: kind is text, caption, image (image names the file) or empty."""

    pid: int
    kind: str
    segments: tuple[Segment, ...] = ()
    image: str = ""

    @property
    def text(self) -> str:
        return "".join(segment.text for segment in self.segments)


@dataclass(frozen=True)
class Attachment:
    name: str  # file name in the article's folder, e.g. P020251128123456789012.pdf
    text: str  # link text


@dataclass(frozen=True)
class Content:
    """One version of an article's editable content."""

    title: str
    source: str
    published_at: datetime
    paragraphs: tuple[Paragraph, ...]
    attachments: tuple[Attachment, ...] = ()
    keywords: str = ""

    def fingerprint(self) -> str:
        return hashlib.sha256(repr(self).encode("utf-8")).hexdigest()[:20]

    def body_text(self) -> str:
        """Text and caption paragraphs, stripped, empty ones dropped, joined with newlines."""
        kinds = ("text", "caption")
        texts = (p.text.strip(WHITESPACE) for p in self.paragraphs if p.kind in kinds)
        return "\n".join(t for t in texts if t)


@dataclass(frozen=True)
class Features:
    """How an article is presented; fixed for its life (see README for the rules)."""

    template: str  # news | xxgk | legacy
    time_variant: str
    has_gov_meta: bool  # PubDate and ContentSource metas present
    encoding: str  # utf-8 | gbk
    charset_declared: str  # header+meta | meta | meta-lies
    href_style: str  # relative | root | absolute (in list items)
    indent: str  # ideographic | nbsp | none
    images: int
    attachments: int
    body_link: bool
    cache_bust: bool
    token: bool
    long_title: bool
    empty_source: bool
    empty_paragraph: bool


@dataclass(frozen=True)
class Article:
    """An article's identity: key is its rank on day 1 (0 = newest), later days continue."""

    key: int
    doc_id: int
    published: datetime  # as first published, seconds already zero when the page hides them
    first_day: int  # simulated day it first appears (1 for the initial articles)
    features: Features

    @property
    def template(self) -> str:
        return self.features.template
