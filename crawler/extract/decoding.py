"""Turning a page's bytes into text: declared charsets are hints, the bytes have the last word."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

# GBK and GB2312 labels are decoded as GB18030, their superset: a page that says gb2312 and uses
# a GBK-only character still decodes.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "ascii": "utf-8"}


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
    if bom_encoding:
        return Decoded(body[len(bom) :].decode(bom_encoding), _name(bom_encoding), declared, "bom")
    # UTF-8 is self-validating: GBK text is almost never valid UTF-8, so valid UTF-8 outranks a
    # declaration (templates that say gb2312 around UTF-8 bytes exist).
    text = _strict(body, "utf-8")
    if text is not None:
        return Decoded(text, "utf-8", declared, _agreement("utf-8", declared))
    if declared and declared != "utf-8":
        text = _strict(body, declared)
        if text is not None:
            return Decoded(text, declared, declared, "declared")
    text = _strict(body, "gb18030")
    if text is not None:
        return Decoded(text, "gb18030", declared, _agreement("gb18030", declared))
    encoding = declared or "utf-8"
    return Decoded(
        body.decode(encoding, "replace"), encoding, declared, "lossy: invalid bytes replaced"
    )


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
