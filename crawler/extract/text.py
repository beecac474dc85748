"""Visible text of HTML elements: paragraphs at block boundaries, whitespace folded, nothing else changed."""

from __future__ import annotations

from collections.abc import Iterator

from lxml.html import HtmlElement

from archive.text.fold import fold_spaces

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
