"""What kind of change a version is: a class per changed field, and cosmetic edits told apart."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from archive.diff import char_spans

COSMETIC = "cosmetic"
REPARSE = "reparse"
# The classes in report order; body_html has none (it presents body, images and links).
CLASSES = (
    "title",
    "body",
    "published_at",
    "source",
    "column",
    "images",
    "attachments",
    "links",
    "doc_id",
    COSMETIC,
    REPARSE,
)
_NO_CLASS = frozenset({"body_html"})
_INVISIBLE = re.compile(r"[\s\u00a0\u3000\u200b-\u200d\u2060\ufeff]+")
# Typographic variants NFKC leaves apart: curly quotes, CJK corner brackets, dashes, dots.
_TYPOGRAPHY = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "—": "-",
        "–": "-",
        "―": "-",
        "－": "-",
        "·": ".",
        "・": ".",
        "。": ".",
        "、": ",",
    }
)


def typographic_key(value: Any) -> Any:
    """`value` with width, spacing and typographic variants folded: equal keys mean a cosmetic edit."""
    if isinstance(value, str):
        return _fold(value)
    if isinstance(value, list | tuple):
        return [typographic_key(item) for item in value]
    if isinstance(value, dict):
        return {key: typographic_key(item) for key, item in value.items()}
    return value


@lru_cache(maxsize=256)
def _fold(text: str) -> str:
    # Cached: the same body is folded for its content key and for its shingles.
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHY))


def change_class(field: str, old: Any, new: Any) -> str | None:
    """The class of a change to `field`: the field's own, `cosmetic`, or None for body_html."""
    if field in _NO_CLASS:
        return None
    if typographic_key(old) == typographic_key(new):
        return COSMETIC
    return field


def classify(
    fields: Iterable[str], old: Mapping[str, Any], new: Mapping[str, Any]
) -> dict[str, str | None]:
    """Each changed field with its class."""
    return {name: change_class(name, old.get(name), new.get(name)) for name in fields}


def version_classes(field_classes: Mapping[str, str | None]) -> list[str]:
    """A version's classes in report order; a version is cosmetic only if every change is."""
    found = {cls for cls in field_classes.values() if cls}
    if len(found) > 1:
        found.discard(COSMETIC)
    return [cls for cls in CLASSES if cls in found]


def char_counts(old: str | None, new: str | None) -> tuple[int, int]:
    """Characters added and removed between two texts, compared character by character."""
    spans = char_spans(old or "", new or "")
    added = sum(len(span.text) for span in spans if span.op == "insert")
    removed = sum(len(span.text) for span in spans if span.op == "delete")
    return added, removed
