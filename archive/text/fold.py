"""Folding text to one form: spaces on one line, and typographic variants that do not change meaning."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

# Every kind of space (NBSP, U+3000 ideographic space, thin spaces…) is one space in the text;
# zero-width characters are nothing.
_SPACES = re.compile(r"[\s\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
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


def fold_spaces(text: str) -> str:
    """`text` on one line: whitespace runs become one space, zero-width characters go, ends trimmed."""
    return _SPACES.sub(" ", _ZERO_WIDTH.sub("", text)).strip()


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
