"""Content edits: resolving an article's scheduled edits into operations and its versions."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache

from . import textgen
from . import vocabulary as vocab
from .model import Article, Attachment, Content, Features, Paragraph, Segment

# Edit kind -> the record fields/classes it changes (the truth's "classes").
EDIT_CLASSES = {
    "title_corrected": ("title",),
    "paragraph_added": ("body",),
    "paragraph_removed": ("body",),
    "char_fixed": ("body",),
    "published_at_corrected": ("published_at",),
    "source_changed": ("source",),
    "image_replaced": ("images",),
    "attachment_replaced": ("attachments",),
    "link_changed": ("links",),
    "cosmetic": ("cosmetic",),
}

TITLE = -1  # CharFix.pid for a fix in the title


@dataclass(frozen=True)
class CharFix:
    """One character at a fixed offset: the first version shows wrong, the edit restores right.

    Offsets stay valid across other edits because every text edit is a same-length substitution.
    """

    pid: int
    segment: int
    offset: int
    wrong: str
    right: str


@dataclass(frozen=True)
class AddParagraph:
    paragraph: Paragraph


@dataclass(frozen=True)
class RemoveParagraph:
    pid: int


@dataclass(frozen=True)
class SetPublished:
    published_at: datetime


@dataclass(frozen=True)
class SetSource:
    source: str


@dataclass(frozen=True)
class ReplaceImage:
    pid: int
    image: str


@dataclass(frozen=True)
class ReplaceAttachment:
    index: int
    name: str


@dataclass(frozen=True)
class ChangeLink:
    pid: int
    segment: int
    href: str


Op = (
    CharFix
    | AddParagraph
    | RemoveParagraph
    | SetPublished
    | SetSource
    | ReplaceImage
    | ReplaceAttachment
    | ChangeLink
)


def edit_rng(seed: int, article: Article, day: int, kind: str) -> random.Random:
    return random.Random(f"{seed}:{article.doc_id}:{day}:{kind}")


def shows_seconds(article: Article) -> bool:
    """Whether the page shows seconds in 发布时间 (otherwise the time has :00 seconds)."""
    return shows_seconds_for(article.features)


def shows_seconds_for(features: Features) -> bool:
    return features.template == "xxgk" or (
        features.template == "news" and features.time_variant == "seconds"
    )


def corrected_time(old: datetime, rng: random.Random, with_seconds: bool) -> datetime:
    """Same date, another minute between 08:00 and 18:30 (the URL date stays right)."""
    minutes = [m for m in range(8 * 60, 18 * 60 + 31) if m != old.hour * 60 + old.minute]
    minute = rng.choice(minutes)
    second = rng.randint(1, 59) if with_seconds else 0
    return old.replace(hour=minute // 60, minute=minute % 60, second=second)


def published_at_on(
    seed: int, article: Article, edits: tuple[tuple[int, date, str], ...], day: int
) -> datetime:
    """The article's publication time on a day, without generating its content."""
    published = article.published
    for edit_day, _, kind in edits:
        if edit_day <= day and kind == "published_at_corrected":
            rng = edit_rng(seed, article, edit_day, kind)
            published = corrected_time(published, rng, shows_seconds(article))
    return published


# --- resolution: choose each edit's target against the content as it is when the edit happens


@dataclass
class Resolver:
    seed: int
    article: Article
    base_pids: frozenset[int]
    used: set[tuple[int, int, int]]

    def char_fix(self, state: Content, rng: random.Random, cosmetic: bool) -> CharFix:
        """A typo (or a half-width comma when cosmetic) in a first-version text paragraph."""
        candidates = [
            (p.pid, index, offset, char)
            for p in state.paragraphs
            if p.kind == "text" and p.pid in self.base_pids
            for index, segment in enumerate(p.segments)
            if segment.kind == "text"
            for offset, char in enumerate(segment.text)
            if (p.pid, index, offset) not in self.used
            and (char == "，" if cosmetic else char in vocab.HOMOPHONES)
        ]
        if not candidates:
            raise AssertionError(f"article {self.article.doc_id}: no character left to fix")
        pid, index, offset, char = rng.choice(candidates)
        self.used.add((pid, index, offset))
        wrong = "," if cosmetic else vocab.HOMOPHONES[char]
        return CharFix(pid, index, offset, wrong, char)

    def title_fix(self, state: Content, rng: random.Random) -> CharFix:
        offsets = [
            offset
            for offset, char in enumerate(state.title)
            if char in vocab.HOMOPHONES and (TITLE, 0, offset) not in self.used
        ]
        if not offsets:
            raise AssertionError(f"article {self.article.doc_id}: no title character to fix")
        offset = rng.choice(offsets)
        self.used.add((TITLE, 0, offset))
        char = state.title[offset]
        return CharFix(TITLE, 0, offset, vocab.HOMOPHONES[char], char)

    def resolve(self, state: Content, day: int, when: date, kind: str) -> Op:
        rng = edit_rng(self.seed, self.article, day, kind)
        if kind == "title_corrected":
            return self.title_fix(state, rng)
        if kind in ("char_fixed", "cosmetic"):
            return self.char_fix(state, rng, cosmetic=kind == "cosmetic")
        if kind == "published_at_corrected":
            seconds = shows_seconds(self.article)
            return SetPublished(corrected_time(state.published_at, rng, seconds))
        if kind == "paragraph_added":
            pid = max(p.pid for p in state.paragraphs) + 1
            return AddParagraph(textgen.added_paragraph(self.seed, self.article, pid, str(day)))
        if kind == "paragraph_removed":
            return RemoveParagraph(self.removable(state, rng))
        if kind == "source_changed":
            return SetSource(rng.choice([s for s in vocab.SOURCES if s != state.source]))
        if kind == "image_replaced":
            return self.image(state, rng, when)
        if kind == "attachment_replaced":
            return self.attachment(state, rng, when)
        if kind == "link_changed":
            return self.link(state, rng)
        raise ValueError(f"unknown edit kind {kind!r}")

    def removable(self, state: Content, rng: random.Random) -> int:
        """A text paragraph other than the lead and the link paragraph, in the first version."""
        pids = [
            p.pid
            for p in state.paragraphs[1:]
            if p.kind == "text"
            and p.pid in self.base_pids
            and not any(s.kind == "link" for s in p.segments)
        ]
        if not pids:
            raise AssertionError(f"article {self.article.doc_id}: no paragraph to remove")
        return rng.choice(pids)

    def image(self, state: Content, rng: random.Random, when: date) -> ReplaceImage:
        images = [p for p in state.paragraphs if p.kind == "image"]
        if not images:
            raise AssertionError(f"article {self.article.doc_id}: image_replaced needs an image")
        target = rng.choice(images)
        extension = target.image.rsplit(".", 1)[1]
        return ReplaceImage(target.pid, f"W0{when:%Y%m%d}{rng.randrange(10**12):012d}.{extension}")

    def attachment(self, state: Content, rng: random.Random, when: date) -> ReplaceAttachment:
        if not state.attachments:
            raise AssertionError(f"article {self.article.doc_id}: attachment_replaced needs a file")
        index = rng.randrange(len(state.attachments))
        extension = state.attachments[index].name.rsplit(".", 1)[1]
        return ReplaceAttachment(index, f"P0{when:%Y%m%d}{rng.randrange(10**12):012d}.{extension}")

    def link(self, state: Content, rng: random.Random) -> ChangeLink:
        for p in state.paragraphs:
            for index, segment in enumerate(p.segments):
                if segment.kind == "link":
                    href = segment.href
                    while href == segment.href:
                        href = textgen.OFFSITE_LINK.format(n=rng.randint(400000, 499999))
                    return ChangeLink(p.pid, index, href)
        raise AssertionError(f"article {self.article.doc_id}: link_changed needs a body link")


# --- application


def set_char(text: str, offset: int, char: str) -> str:
    return text[:offset] + char + text[offset + 1 :]


def fix_chars(content: Content, fix: CharFix, char: str) -> Content:
    if fix.pid == TITLE:
        return replace(content, title=set_char(content.title, fix.offset, char))

    def change(p: Paragraph) -> Paragraph:
        segments = list(p.segments)
        segment = segments[fix.segment]
        segments[fix.segment] = replace(segment, text=set_char(segment.text, fix.offset, char))
        return replace(p, segments=tuple(segments))

    return with_paragraph(content, fix.pid, change)


def with_paragraph(content: Content, pid: int, change) -> Content:
    paragraphs = tuple(change(p) if p.pid == pid else p for p in content.paragraphs)
    return replace(content, paragraphs=paragraphs)


def apply(op: Op, content: Content) -> Content:
    """The content after one edit."""
    if isinstance(op, CharFix):
        return fix_chars(content, op, op.right)
    if isinstance(op, AddParagraph):
        return replace(content, paragraphs=(*content.paragraphs, op.paragraph))
    if isinstance(op, RemoveParagraph):
        kept = tuple(p for p in content.paragraphs if p.pid != op.pid)
        return replace(content, paragraphs=kept)
    if isinstance(op, SetPublished):
        return replace(content, published_at=op.published_at)
    if isinstance(op, SetSource):
        return replace(content, source=op.source)
    if isinstance(op, ReplaceImage):
        return with_paragraph(content, op.pid, lambda p: replace(p, image=op.image))
    if isinstance(op, ReplaceAttachment):
        files = list(content.attachments)
        files[op.index] = Attachment(op.name, files[op.index].text)
        return replace(content, attachments=tuple(files))
    return with_paragraph(content, op.pid, lambda p: change_link(p, op))


def change_link(paragraph: Paragraph, op: ChangeLink) -> Paragraph:
    segments = list(paragraph.segments)
    segments[op.segment] = Segment("link", segments[op.segment].text, op.href)
    return replace(paragraph, segments=tuple(segments))


@lru_cache(maxsize=4096)
def versions(
    seed: int, article: Article, edits: tuple[tuple[int, date, str], ...]
) -> tuple[Content, ...]:
    """Every version of an article: the first as published (typos in), then one per edit."""
    base = textgen.base_content(seed, article)
    resolver = Resolver(seed, article, frozenset(p.pid for p in base.paragraphs), set())
    state, ops = base, []
    for day, when, kind in edits:
        op = resolver.resolve(state, day, when, kind)
        ops.append(op)
        if not isinstance(op, CharFix):
            state = apply(op, state)  # a fix leaves the correct text as it is
    first = base
    for op in ops:
        if isinstance(op, CharFix):
            first = fix_chars(first, op, op.wrong)
    result = [first]
    for op in ops:
        result.append(apply(op, result[-1]))
    return tuple(result)
