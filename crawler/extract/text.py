"""Visible text of HTML elements: paragraphs at block boundaries, whitespace folded, nothing else changed."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml.html import HtmlElement

BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template"})
# Every kind of space (NBSP, U+3000 ideographic space, thin spaces…) is one space in the text;
# zero-width characters are nothing.
_SPACES = re.compile(r"[\s\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")


def fold_spaces(text: str) -> str:
    """`text` on one line: whitespace runs become one space, zero-width characters go, ends trimmed."""
    return _SPACES.sub(" ", _ZERO_WIDTH.sub("", text)).strip()


def paragraphs(element: HtmlElement) -> list[str]:
    """The non-empty paragraphs of `element`, split where blocks start and end and at <br>."""
    return [line for line in (fold_spaces(chunk) for chunk in _chunks(element)) if line]


def inline_text(element: HtmlElement) -> str:
    """All the text of `element` on one line (for titles, labels and link texts)."""
    return fold_spaces(" ".join(_chunks(element)))


def _chunks(element: HtmlElement) -> Iterator[str]:
    """Text runs of `element` in document order, cut at every block boundary.

    An explicit stack instead of lxml's iterwalk, which skips comments and so loses their tails.
    """
    current: list[str] = []
    stack: list[tuple[HtmlElement, bool]] = [(element, False)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else None
        if closing or tag is None or tag in SKIPPED_TAGS:
            if closing and tag in BLOCK_TAGS:
                yield "".join(current)
                current = []
            if node is not element and node.tail:
                current.append(node.tail)
            continue
        if tag in BLOCK_TAGS:
            yield "".join(current)
            current = []
        if node.text:
            current.append(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    yield "".join(current)
