"""--hostile: two listed articles a crawler must keep, whose pages are hostile to a viewer.

`hostile_markup` is an ordinary article whose body block also holds live markup that makes
requests (to /_replica/beacon) or changes the DOM when a browser loads it; `hostile_text` is an
article whose text, escaped in the page, reads as markup, carries bidi controls and has a
paragraph of about 1 MB on one line. See README.md, "Hostile articles".
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import lru_cache

from . import textgen
from .model import WHITESPACE, Article, Content, Paragraph, Segment
from .pages import slot

ROLES = ("hostile_markup", "hostile_text")
BEACON_PATH = "/_replica/beacon"
# The beacon requests the markup article's page makes when a browser runs it, by `from` value.
BEACONS = ("script", "fetch", "img", "onerror", "css", "iframe", "style", "object", "absolute")
SCRIPT = (
    "<script>document.documentElement.setAttribute('data-pwned','script'); "
    f"new Image().src='{BEACON_PATH}?from=script'; fetch('{BEACON_PATH}?from=fetch')</script>"
)
IMG = (
    f'<p style="text-align:center"><img src="{BEACON_PATH}?from=img" '
    "onerror=\"document.documentElement.setAttribute('data-pwned','onerror');"
    f"new Image().src='{BEACON_PATH}?from=onerror'\"></p>"
)
STYLESHEET = f'<link rel="stylesheet" href="{BEACON_PATH}?from=css">'
IFRAME = f'<iframe src="{BEACON_PATH}?from=iframe"></iframe>'
STYLED_OPEN = f'<p style="background:url({BEACON_PATH}?from=style)">'
OBJECT = f'<object data="{BEACON_PATH}?from=object"></object>'
# Absolute on the origin the request named (its Host header, filled per request).
ABSOLUTE = f'<p><img src="http://{slot("host")}{BEACON_PATH}?from=absolute" alt=""></p>'

TITLE = '<script>alert("标题")</script>"><img src=x onerror=alert(1)>陈仓区召开安全生产专题会议'
SCRIPT_TEXT = "<script>alert('正文')</script>"
IMG_TEXT = '"><img src=x onerror=alert(2)>'
RLO, RLM = "\u202e", "\u200f"  # RIGHT-TO-LEFT OVERRIDE, RIGHT-TO-LEFT MARK
LONG_LINE = 350_000  # characters (about 1 MB in UTF-8) of the one-line paragraph, at least
LONG_HEAD = 20  # the truth gives the long paragraph's first characters, its length and digest


def markup(pid: int, html: str) -> Paragraph:
    """Raw markup in the body block (kind markup: no text, pages.py writes it as it is)."""
    return Paragraph(pid, "markup", (Segment("markup", html),))


def text(pid: int, value: str) -> Paragraph:
    return Paragraph(pid, "text", (Segment("text", value),))


@lru_cache(maxsize=8)
def content(seed: int, role: str, article: Article) -> Content:
    """The article's one version (it is never edited); cached, so the 1 MB text is made once."""
    base = textgen.base_content(seed, article)
    writer = textgen.Writer(textgen.article_rng(seed, article, role), textgen.story(seed, article))
    lead = textgen.text_paragraph(0, writer, lead=True)
    normal = [textgen.text_paragraph(pid, writer) for pid in range(1, 5)]
    if role == "hostile_markup":
        return replace(base, paragraphs=markup_body(writer, lead, normal))
    return replace(base, title=TITLE, paragraphs=text_body(writer, lead, normal))


def markup_body(
    writer: textgen.Writer, lead: Paragraph, normal: list[Paragraph]
) -> tuple[Paragraph, ...]:
    """Normal paragraphs with live markup between them; one paragraph is both (its style)."""
    styled = (
        Segment("markup", STYLED_OPEN),
        Segment("text", writer.run("", 120)),
        Segment("markup", "</p>"),
    )
    return (
        lead,
        normal[0],
        markup(20, SCRIPT),
        markup(21, IMG),
        normal[1],
        markup(22, STYLESHEET),
        markup(23, IFRAME),
        Paragraph(7, "markup", styled),
        markup(24, OBJECT),
        normal[2],
        markup(25, ABSOLUTE),
        normal[3],
    )


def text_body(
    writer: textgen.Writer, lead: Paragraph, normal: list[Paragraph]
) -> tuple[Paragraph, ...]:
    """Normal paragraphs and: markup as text inside sentences, bidi controls, the long line."""
    first, second, third, bidi = (writer.sentence(set()) for _ in range(4))
    return (
        lead,
        text(10, f"{first}{SCRIPT_TEXT}{second}"),
        normal[0],
        text(11, f"{third}{IMG_TEXT}"),
        text(12, f"{bidi[:4]}{RLO}{bidi[4:12]}{RLM}{bidi[12:]}{RLM}陈仓区{RLO}测试"),
        normal[1],
        text(13, long_line(writer)),
        normal[2],
    )


def long_line(writer: textgen.Writer) -> str:
    """Sentences of the story (numbers drawn afresh each time) until LONG_LINE characters."""
    parts: list[str] = []
    size = 0
    while size < LONG_LINE:
        sentence = writer.sentence(set())
        parts.append(sentence)
        size += len(sentence)
    return "".join(parts)


def visible(paragraph: Paragraph) -> str:
    """What a reader sees of a paragraph: its text, not its markup."""
    return "".join(s.text for s in paragraph.segments if s.kind != "markup").strip(WHITESPACE)


def expected_paragraphs(content: Content) -> list[str | dict[str, object]]:
    """The body paragraphs an extractor reads; the long one as its length, head and digest."""
    result: list[str | dict[str, object]] = []
    for paragraph in content.paragraphs:
        line = visible(paragraph)
        if not line:
            continue
        if len(line) >= LONG_LINE:
            digest = hashlib.sha256(line.encode("utf-8")).hexdigest()
            result.append({"length": len(line), "start": line[:LONG_HEAD], "sha256": digest})
        else:
            result.append(line)
    return result
