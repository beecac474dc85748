"""Cleaning an article's text: one canonical form, bylines as names, no boilerplate or repeated head."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from archive.text.fold import fold_spaces, typographic_key
from archive.text.repair import Repairs, repair_text

# 责任编辑/编辑/审核 name who edited; 作者/通讯员/记者 who wrote. A byline line holds only labels
# and names, possibly in brackets: （作者：张三 通讯员：李四）, 【责任编辑：王五】.
EDITOR_LABELS = ("责任编辑", "编辑", "审核", "校对")
AUTHOR_LABELS = ("作者", "通讯员", "记者", "撰稿", "摄影")
_LABEL = "|".join(EDITOR_LABELS + AUTHOR_LABELS)
_BYLINE = re.compile(
    rf"^[（(【\[]?\s*(?:(?:{_LABEL})\s*[:：]\s*[^:：（）()【】\[\]]*?\s*)+[）)】\]]?$"
)
_BYLINE_PART = re.compile(rf"({_LABEL})\s*[:：]\s*(.*?)\s*(?=(?:{_LABEL})\s*[:：]|[）)】\]]?$)")
_META_LINE = re.compile(r"^(来源|发布时间|发布日期|时间)\s*[:：]")
# Bumped when a change here can change cleaned text: part of the parser version of a record.
CLEANER_VERSION = 1


@dataclass(frozen=True)
class ArticleText:
    """The text fields of an article; `body` is paragraphs joined by newlines."""

    title: str
    body: str
    source: str = ""
    column: str = ""
    editor: str = ""
    author: str = ""


@dataclass(frozen=True)
class CleanedText:
    """Cleaned text, the rules that changed something (with counts), and the repairs made."""

    text: ArticleText
    applied: Counter[str] = field(default_factory=Counter)
    repairs: Repairs = field(default_factory=Repairs)
    # The share of the body, before cleaning, that was boilerplate (validation's concern).
    boilerplate: float = 0.0


def clean_text(
    text: ArticleText, boilerplate: Sequence[re.Pattern[str]], script: str
) -> CleanedText:
    """`text` in canonical form: repaired if it is a damaged copy, NFC, spaces folded, boilerplate
    lines (`boilerplate`) and empty paragraphs dropped, bylines moved to editor/author, and no
    title or 来源/发布时间 line at the head of the body. Applying it twice changes nothing more."""
    applied: Counter[str] = Counter()
    # Title and body are repaired as one text: the damage is the page's, not each field's.
    repaired, repairs = repair_text(f"{text.title}\n{text.body}", script)
    repaired_title, _, body = repaired.partition("\n")
    if repairs:
        applied["repair"] += 1
    title = _canonical_line(repaired_title, applied)
    paragraphs = [_canonical_line(line, applied) for line in body.split("\n")]
    paragraphs = _drop(paragraphs, lambda p: not p, "empty_paragraph", applied)
    is_noise = _matcher(boilerplate)
    paragraphs = _drop(paragraphs, is_noise, "boilerplate_line", applied)
    paragraphs, editor, author = _bylines(paragraphs, text, applied)
    paragraphs = _drop_head(paragraphs, title, applied)
    cleaned = ArticleText(
        title=title,
        body="\n".join(paragraphs),
        source=_canonical_line(text.source, applied),
        column=_canonical_line(text.column, applied),
        editor=editor,
        author=author,
    )
    return CleanedText(cleaned, applied, repairs, boilerplate_share(text.body, boilerplate))


def boilerplate_share(body: str, boilerplate: Sequence[re.Pattern[str]]) -> float:
    """The share of the body's characters in boilerplate lines (打印本页, 关闭窗口, 字号…)."""
    is_noise = _matcher(boilerplate)
    lines = [line for line in body.split("\n") if line.strip()]
    total = sum(len(line) for line in lines)
    noise = sum(len(line) for line in lines if is_noise(line))
    return noise / total if total else 1.0


def _matcher(patterns: Sequence[re.Pattern[str]]) -> Callable[[str], bool]:
    return lambda line: any(pattern.search(line) for pattern in patterns)


def _canonical_line(text: str, applied: Counter[str]) -> str:
    normal = unicodedata.normalize("NFC", text)
    if normal != text:
        applied["nfc"] += 1
    folded = fold_spaces(normal)
    if folded != normal:
        applied["whitespace"] += 1
    return folded


def _drop(
    paragraphs: list[str], unwanted: Callable[[str], bool], rule: str, applied: Counter[str]
) -> list[str]:
    kept = [p for p in paragraphs if not unwanted(p)]
    applied[rule] += len(paragraphs) - len(kept)
    return kept


def _bylines(
    paragraphs: list[str], text: ArticleText, applied: Counter[str]
) -> tuple[list[str], str, str]:
    """Byline lines at the start or the end of the body, taken out as editor and author."""
    editors, authors = _names(text.editor), _names(text.author)
    while paragraphs and _BYLINE.match(paragraphs[-1]):
        _collect(paragraphs.pop(), editors, authors, applied)
    while paragraphs and _BYLINE.match(paragraphs[0]):
        _collect(paragraphs.pop(0), editors, authors, applied)
    return paragraphs, " ".join(dict.fromkeys(editors)), " ".join(dict.fromkeys(authors))


def _collect(line: str, editors: list[str], authors: list[str], applied: Counter[str]) -> None:
    for label, names in _BYLINE_PART.findall(line):
        target = editors if label in EDITOR_LABELS else authors
        target.extend(_names(names))
        applied["editor" if label in EDITOR_LABELS else "author"] += 1


def _names(text: str) -> list[str]:
    return [name for name in re.split(r"[\s、，,]+", text) if name]


def _drop_head(paragraphs: list[str], title: str, applied: Counter[str]) -> list[str]:
    """The body starts with the text, not with a repeat of the title or the 来源/发布时间 line."""
    title_key = typographic_key(title)
    while paragraphs:
        if title and typographic_key(paragraphs[0]) == title_key:
            applied["leading_title"] += 1
        elif _META_LINE.match(paragraphs[0]):
            applied["meta_line"] += 1
        else:
            break
        paragraphs = paragraphs[1:]
    return paragraphs
