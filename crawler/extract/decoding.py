"""Turning a page's bytes into text: declared charsets are hints, the bytes have the last word.

A multi-byte declaration (GBK, Big5…) is checked by decoding strictly. A single-byte one
(ISO-8859-1, US-ASCII, windows-1252, a common server default) never fails to decode, so it
proves nothing: when the bytes decode as GB18030 into text that is Chinese (nearly all of its
non-ASCII characters in GB2312, where real Chinese text lives and Latin text read as GBK almost
never lands), the page is Chinese and the declaration is a server's default.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from functools import cache

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

# GBK and GB2312 labels are decoded as GB18030, their superset: a page that says gb2312 and uses
# a GBK-only character still decodes.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "ascii": "utf-8"}
# The share of a text's non-ASCII characters that must be in GB2312 for it to be Chinese.
CHINESE_SHARE = 0.9


@dataclass(frozen=True)
class Decoded:
    """The text of a page, the codec used, what the page declared, and why the codec was chosen."""

    text: str
    encoding: str
    declared: str | None
    reason: str

    def describe(self) -> str:
        return f"{self.encoding} ({self.reason})"


def decode_html(body: bytes, content_type: str | None) -> Decoded:
    """Decode `body`: BOM first, then valid UTF-8, then the declared charset, then GB18030."""
    declared = _declared(body, content_type)
    bom_encoding, bom = read_bom(body)
    if bom_encoding and bom:
        return Decoded(body[len(bom) :].decode(bom_encoding), _name(bom_encoding), declared, "bom")
    # UTF-8 is self-validating: GBK text is almost never valid UTF-8, so valid UTF-8 outranks a
    # declaration (templates that say gb2312 around UTF-8 bytes exist).
    text = _strict(body, "utf-8")
    if text is not None:
        return Decoded(text, "utf-8", declared, _agreement("utf-8", declared))
    if declared and declared != "utf-8" and not single_byte(declared):
        text = _strict(body, declared)
        if text is not None:
            return Decoded(text, declared, declared, "declared")
    text = _strict(body, "gb18030")
    if text is not None and (not declared or not single_byte(declared) or is_chinese(text)):
        return Decoded(text, "gb18030", declared, _agreement("gb18030", declared))
    if declared and single_byte(declared):
        text = _strict(body, declared)
        if text is not None:
            return Decoded(text, declared, declared, "declared")
    encoding = declared or "utf-8"
    return Decoded(
        body.decode(encoding, "replace"), encoding, declared, "lossy: invalid bytes replaced"
    )


@cache
def single_byte(encoding: str) -> bool:
    """Whether `encoding` reads one byte as one character (ISO-8859-x, windows-125x, KOI8…)."""
    try:
        return len(bytes(range(256)).decode(encoding, "replace")) == 256
    except LookupError:
        return False


def is_chinese(text: str) -> bool:
    """Whether nearly every non-ASCII character of `text` is in GB2312 (and there are some)."""
    wide = [char for char in text if ord(char) > 0x7F]
    if not wide:
        return False
    return sum(1 for char in wide if _in_gb2312(char)) >= CHINESE_SHARE * len(wide)


@cache
def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _declared(body: bytes, content_type: str | None) -> str | None:
    label = http_content_type_encoding(content_type) if content_type else None
    label = label or html_body_declared_encoding(body)
    return _name(label) if label else None


def _name(label: str) -> str:
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return "utf-8"
    return _SUPERSETS.get(name.replace("_", ""), name)


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _agreement(encoding: str, declared: str | None) -> str:
    if declared is None:
        return "detected; nothing declared"
    if declared == encoding:
        return "declared"
    return f"detected; the page declared {declared}"
