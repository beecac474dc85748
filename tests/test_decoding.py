"""Decoding: UTF-8 and GBK pages with or without a declared charset, and declarations that lie."""

from __future__ import annotations

import pytest

from crawler.extract.decoding import decode_html

TEXT = "陈仓区召开全区工作会议，确保取得“开门红”。"


def page(charset_meta: str | None, text: str = TEXT) -> str:
    meta = (
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset_meta}">'
        if charset_meta
        else ""
    )
    return f"<html><head>{meta}</head><body><p>{text}</p></body></html>"


def test_utf8_with_header_charset():
    decoded = decode_html(page(None).encode("utf-8"), "text/html; charset=utf-8")
    assert TEXT in decoded.text
    assert (decoded.encoding, decoded.declared, decoded.reason) == ("utf-8", "utf-8", "declared")


def test_utf8_with_no_charset_anywhere():
    decoded = decode_html(page(None).encode("utf-8"), "text/html")
    assert TEXT in decoded.text
    assert decoded.reason == "detected; nothing declared"


def test_gbk_declared_only_in_the_meta_tag():
    decoded = decode_html(page("gb2312").encode("gbk"), "text/html")
    assert TEXT in decoded.text
    assert (decoded.encoding, decoded.reason) == ("gb18030", "declared")


def test_gbk_with_nothing_declared():
    decoded = decode_html(page(None).encode("gbk"), None)
    assert TEXT in decoded.text
    assert decoded.encoding == "gb18030"


def test_meta_says_utf8_but_the_bytes_are_gbk():
    decoded = decode_html(page("utf-8").encode("gbk"), "text/html")
    assert TEXT in decoded.text
    assert decoded.reason == "detected; the page declared utf-8"


def test_meta_says_gb2312_but_the_bytes_are_utf8():
    decoded = decode_html(page("gb2312").encode("utf-8"), "text/html")
    assert TEXT in decoded.text
    assert decoded.encoding == "utf-8"


def test_gb2312_label_decodes_gbk_only_characters():
    text = "镕"  # in GBK, not in GB2312
    decoded = decode_html(page("gb2312", text).encode("gbk"), "text/html")
    assert text in decoded.text


def test_a_bom_wins():
    decoded = decode_html(
        "\ufeff".encode() + page("gb2312").encode("utf-8"), "text/html; charset=gbk"
    )
    assert TEXT in decoded.text
    assert decoded.reason == "bom"


@pytest.mark.parametrize("charset", ["iso-8859-1", "us-ascii", "windows-1252", "latin1"])
def test_a_single_byte_charset_in_the_header_does_not_hide_gbk(charset):
    """ISO-8859-1 is many servers' default: a single-byte codec never fails, so it proves nothing."""
    decoded = decode_html(page(None).encode("gbk"), f"text/html; charset={charset}")
    assert TEXT in decoded.text and "³Â²Ö" not in decoded.text
    assert decoded.encoding == "gb18030" and decoded.reason.startswith(
        "detected; the page declared"
    )


@pytest.mark.parametrize("charset", ["iso-8859-1", "us-ascii", "windows-1252"])
def test_a_single_byte_charset_in_the_meta_tag_does_not_hide_gbk(charset):
    decoded = decode_html(page(charset).encode("gbk"), "text/html")
    assert TEXT in decoded.text and decoded.encoding == "gb18030"


@pytest.mark.parametrize(
    "text",
    [
        "Économie générale à Paris — café, naïve résumé, Größe über Straße",
        "Ñandú año señor, ¿qué tal? ¡Olé!",
        "Prix : 25 € ; « guillemets » ; déjà vu",
    ],
)
def test_a_latin_page_in_its_declared_single_byte_charset_stays_latin(text):
    """Latin text also decodes as GBK (é then a letter is a GBK pair), but into characters
    Chinese text does not use: the declaration stands."""
    decoded = decode_html(page("windows-1252", text).encode("cp1252"), "text/html")
    assert text in decoded.text
    assert (decoded.encoding, decoded.reason) == ("cp1252", "declared")


def test_a_latin_page_declared_iso_8859_1_in_the_header_is_read_as_browsers_do():
    """Browsers (and w3lib) read an ISO-8859-1 label as windows-1252, its superset."""
    text = "Économie générale à Paris — 25 €"
    decoded = decode_html(page(None, text).encode("cp1252"), "text/html; charset=iso-8859-1")
    assert text in decoded.text and decoded.encoding == "cp1252"
