"""Seeded generation of an article's first content: title, source, paragraphs, images, files."""

from __future__ import annotations

import random
import string
from datetime import datetime, timedelta
from functools import cache, lru_cache

from . import vocabulary as vocab
from .model import Article, Attachment, Content, Paragraph, Segment

TITLE_SHORT = (12, 28)
TITLE_LONG = (29, 40)
PARAGRAPH = (50, 220)
OFFSITE_LINK = "http://www.baoji.gov.cn/site/1/html/126/132/138/{n}.htm"


def article_rng(seed: int, article: Article, purpose: str) -> random.Random:
    """A private random stream per article and purpose, so one change never shifts another."""
    return random.Random(f"{seed}:{article.doc_id}:{purpose}")


@lru_cache(maxsize=4096)
def story(seed: int, article: Article) -> dict[str, str]:
    """The fixed facts one article talks about (who, where, what), reused by later edits."""
    return facts(article_rng(seed, article, "story"), article.published)


def facts(rng: random.Random, published: datetime) -> dict[str, str]:
    """Who, where and what a story published at `published` tells, drawn from `rng`."""
    kind = rng.choice(sorted(vocab.STORIES))
    role, leader = rng.choice(vocab.LEADERS)
    event = published.date() - timedelta(days=rng.randint(1, 3))
    return {
        "kind": kind,
        "leader_role": role,
        "leader": leader,
        "town": rng.choice(vocab.TOWNS),
        "village": rng.choice(vocab.VILLAGES),
        "place": rng.choice(vocab.PLACES),
        "topic": rng.choice(vocab.TOPICS),
        "topic2": rng.choice(vocab.TOPICS),
        "spirit": rng.choice(vocab.SPIRITS),
        "crop": rng.choice(vocab.CROPS),
        "project": rng.choice(vocab.PROJECTS),
        "dept": rng.choice(vocab.SOURCES[4:]),
        "activity": rng.choice(vocab.ACTIVITIES),
        "training": rng.choice(vocab.TRAININGS),
        "knowledge": rng.choice(vocab.KNOWLEDGE),
        "slogan": rng.choice(vocab.SLOGANS),
        "matter": rng.choice(vocab.MATTERS),
        "focus": rng.choice(vocab.FOCUSES),
        "detail": rng.choice(vocab.DETAILS),
        "purpose": rng.choice(vocab.PURPOSES),
        "officials": "、".join(rng.sample(vocab.OTHER_OFFICIALS, rng.randint(2, 3))),
        "year": str(published.year + (1 if published.month == 12 else 0)),
        "month": str(event.month),
        "day": str(event.day),
        "part": rng.choice(("上午", "下午", "")),
    }


NUMBERS = {
    "n": lambda rng: str(rng.randint(3, 98)),
    "pct": lambda rng: str(rng.randint(5, 99)),
    "people": lambda rng: str(rng.randint(12, 90) * 10),
    "amount": lambda rng: str(rng.randint(2, 60)),
    "area": lambda rng: str(rng.randint(5, 90) * 100),
    "money": lambda rng: str(rng.randint(3, 12) * 1000),
    "count": lambda rng: str(rng.randint(6, 40)),
}


@cache
def numbers_in(template: str) -> tuple[str, ...]:
    """The number fields a template uses, in a fixed order (only those are drawn)."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return tuple(sorted(names & NUMBERS.keys()))


def fill(template: str, fields: dict[str, str], rng: random.Random) -> str:
    """Fill a template; numbers are drawn fresh for every sentence."""
    numbers = {name: NUMBERS[name](rng) for name in numbers_in(template)}
    return template.format_map({**fields, **numbers})


def make_title(rng: random.Random, fields: dict[str, str], long: bool) -> str:
    """A title of the story's kind within 12–28 characters, or 29–40 when long (so lists
    truncate it); falls back to any kind's templates if the story's own never fit."""
    low, high = TITLE_LONG if long else TITLE_SHORT
    size = "long" if long else "short"
    own = vocab.STORIES[fields["kind"]][size]
    every = [t for story in vocab.STORIES.values() for t in story[size]]
    for attempt in range(300):
        template = rng.choice(own if attempt < 150 else every)
        title = fill(template, fields, rng)
        if low <= len(title) <= high:
            return title
    raise AssertionError("no title template fits; extend vocabulary.STORIES")


class Writer:
    """Draws sentences for one article: its story's sentences first, then generic ones,
    avoiding repeats until the pool runs out."""

    def __init__(self, rng: random.Random, fields: dict[str, str]) -> None:
        self.rng = rng
        self.fields = fields
        self.pool = [*vocab.STORIES[fields["kind"]]["sentences"], *vocab.SENTENCES]
        self.used: set[str] = set()

    def sentence(self, exclude: set[str]) -> str:
        fresh = [s for s in self.pool if s not in self.used and s not in exclude]
        candidates = fresh or [s for s in self.pool if s not in exclude]
        if not candidates:
            return ""
        choice = self.rng.choice(candidates)
        self.used.add(choice)
        exclude.add(choice)
        return fill(choice, self.fields, self.rng)

    def lead(self) -> str:
        return fill(
            self.rng.choice(vocab.STORIES[self.fields["kind"]]["leads"]), self.fields, self.rng
        )

    def run(self, start: str, limit: int) -> str:
        """Append sentences to start until a random target length, never past limit."""
        text = start
        target = self.rng.randint(PARAGRAPH[0], limit)
        here: set[str] = set()
        for _ in range(12):
            if len(text) >= target:
                break
            sentence = self.sentence(here)
            if not sentence:
                break
            if len(text) + len(sentence) <= limit:
                text += sentence
        for filler in vocab.CLOSINGS:
            if len(text) >= PARAGRAPH[0]:
                break
            text += fill(filler, self.fields, self.rng)[: limit - len(text)]
        return text


def text_paragraph(pid: int, writer: Writer, lead: bool = False) -> Paragraph:
    """A plain paragraph of 50–220 characters, sometimes with a span around one sentence."""
    text = writer.run(writer.lead() if lead else "", PARAGRAPH[1])
    cut = text.find("。") + 1
    if not lead and writer.rng.random() < 0.15 and 0 < cut < len(text):
        segments = (Segment("span", text[:cut]), Segment("text", text[cut:]))
        return Paragraph(pid, "text", segments)
    return Paragraph(pid, "text", (Segment("text", text),))


def numbered_paragraph(pid: int, writer: Writer, point: int) -> Paragraph:
    """'一是…。' in <strong>, then its explanation."""
    head, tail = vocab.NUMBERED_POINTS[point]
    rest = writer.run(tail, PARAGRAPH[1] - len(head))
    return Paragraph(pid, "text", (Segment("strong", head), Segment("text", rest)))


def link_paragraph(pid: int, writer: Writer) -> Paragraph:
    """A paragraph ending with an off-site link (the target of the link_changed edit)."""
    rng = writer.rng
    text = writer.run("", PARAGRAPH[1] - 20)
    href = OFFSITE_LINK.format(n=rng.randint(400000, 499999))
    segments = (
        Segment("text", text + vocab.LINK_SENTENCE),
        Segment("link", rng.choice(vocab.LINK_TEXTS), href),
        Segment("text", "。"),
    )
    return Paragraph(pid, "text", segments)


def asset_name(rng: random.Random, article: Article, prefix: str, extension: str) -> str:
    """TRS-style file name: W0/P0, the publication date, twelve digits."""
    return f"{prefix}{article.published:%Y%m%d}{rng.randrange(10**12):012d}.{extension}"


def body_paragraphs(seed: int, article: Article) -> list[Paragraph]:
    """3–9 text paragraphs; numbered points in longer ones; a link paragraph when featured."""
    rng = article_rng(seed, article, "body")
    writer = Writer(rng, story(seed, article))
    count = rng.randint(3, 9)
    points = min(len(vocab.NUMBERED_POINTS), count - 3) if count >= 6 and rng.random() < 0.5 else 0
    paragraphs = [text_paragraph(0, writer, lead=True)]
    for index in range(1, count):
        point = index - 2
        if 0 <= point < points:
            paragraphs.append(numbered_paragraph(index, writer, point))
        else:
            paragraphs.append(text_paragraph(index, writer))
    if article.features.body_link:
        paragraphs[-1] = link_paragraph(paragraphs[-1].pid, writer)
    return paragraphs


def with_images(seed: int, article: Article, paragraphs: list[Paragraph]) -> list[Paragraph]:
    """Insert image + caption pairs after the first (and third) text paragraph."""
    rng = article_rng(seed, article, "images")
    fields = story(seed, article)
    result = list(paragraphs)
    next_pid = len(paragraphs)
    for number in range(article.features.images):
        extension = "png" if rng.random() < 0.2 else "jpg"
        image = Paragraph(next_pid, "image", image=asset_name(rng, article, "W0", extension))
        caption_text = fill(rng.choice(vocab.CAPTIONS), fields, rng)
        caption = Paragraph(next_pid + 1, "caption", (Segment("text", caption_text),))
        next_pid += 2
        position = min(1 + number * 4, len(result))
        result[position:position] = [image, caption]
    if article.features.empty_paragraph:
        result.insert(len(result) - 1, Paragraph(next_pid, "empty"))
    return result


def attachments(seed: int, article: Article) -> tuple[Attachment, ...]:
    rng = article_rng(seed, article, "attachments")
    fields = story(seed, article)
    files = []
    for number in range(article.features.attachments):
        extension = "pdf" if number == 0 else rng.choice(("docx", "xls"))
        text = fill(vocab.ATTACHMENT_TITLES[(article.doc_id + number) % 4], fields, rng)
        files.append(Attachment(asset_name(rng, article, "P0", extension), text))
    return tuple(files)


def pick_source(seed: int, article: Article) -> str:
    if article.features.empty_source:
        return ""
    return article_rng(seed, article, "source").choice(vocab.SOURCES)


@lru_cache(maxsize=4096)
def base_content(seed: int, article: Article) -> Content:
    """The article as the generator writes it, before the timeline's typos and edits."""
    fields = story(seed, article)
    title = make_title(article_rng(seed, article, "title"), fields, article.features.long_title)
    return Content(
        title=title,
        source=pick_source(seed, article),
        published_at=article.published,
        paragraphs=tuple(with_images(seed, article, body_paragraphs(seed, article))),
        attachments=attachments(seed, article),
        keywords=f"陈仓,{fields['topic']}",
    )


def added_paragraph(seed: int, article: Article, pid: int, salt: str) -> Paragraph:
    """A new paragraph for the paragraph_added edit, about the same story."""
    writer = Writer(article_rng(seed, article, f"added:{salt}"), story(seed, article))
    return text_paragraph(pid, writer)
