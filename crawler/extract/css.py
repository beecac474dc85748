"""CSS selectors compiled once: lxml's element.cssselect() translates the selector on every call."""

from __future__ import annotations

from functools import lru_cache

from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement


@lru_cache(maxsize=512)
def _compiled(selector: str) -> CSSSelector:
    return CSSSelector(selector, translator="html")


def select(element: HtmlElement, selector: str) -> list[HtmlElement]:
    """The elements under `element` (itself included) that match the CSS `selector`."""
    return list(_compiled(selector)(element))
