"""Change classes: each changed field its class, and typographic-only edits classed cosmetic."""

from __future__ import annotations

import pytest

from archive.changes import change_class, version_classes
from archive.text.diff import char_counts
from archive.text.fold import typographic_key


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("会议指出,要抓好工作。", "会议指出，要抓好工作。"),  # comma width
        ("发布时间：10:07", "发布时间:10:07"),  # colon width
        ("确保取得 2023 年", "确保取得2023年"),  # spacing
        ("确保取得\u00a02023年", "确保取得 2023年"),  # NBSP
        ("“开门红”", '"开门红"'),  # quotes
        ("ＡＰＰ（２０２３）", "APP(2023)"),  # full-width letters and digits
    ],
)
def test_typographic_edits_are_cosmetic(old, new):
    assert change_class("body", old, new) == "cosmetic"


@pytest.mark.parametrize(
    ("field", "old", "new"),
    [
        ("body", "全区工作会义", "全区工作会议"),  # one character fixed
        ("title", "象目建设", "项目建设"),
        ("body", "第一段。", "第一段。\n第二段。"),
        ("source", "区融媒体中心", "陈仓区政府办"),
        ("published_at", "2025-11-24T10:07:00+08:00", "2025-11-24T11:07:00+08:00"),
        ("images", ["http://x/a.jpg"], ["http://x/b.jpg"]),
        ("links", [{"url": "http://x/a", "text": "甲"}], [{"url": "http://x/b", "text": "甲"}]),
    ],
)
def test_real_edits_keep_their_field_as_class(field, old, new):
    assert change_class(field, old, new) == field


def test_body_html_has_no_class():
    assert change_class("body_html", "<p>a</p>", "<p>b</p>") is None


def test_a_version_is_cosmetic_only_if_every_change_is():
    assert version_classes({"body": "cosmetic", "body_html": None}) == ["cosmetic"]
    assert version_classes({"body": "cosmetic", "title": "title"}) == ["title"]
    assert version_classes({"source": "source", "body": "body"}) == ["body", "source"]


def test_typographic_key_does_not_fold_characters_that_differ():
    assert typographic_key("会议") != typographic_key("会义")
    assert typographic_key("2023") != typographic_key("2024")


def test_character_counts():
    assert char_counts("全区工作会义召开", "全区工作会议召开") == (1, 1)
    assert char_counts("", "新段落") == (3, 0)
    assert char_counts(None, None) == (0, 0)


def test_the_summary_line_counts_refusals_and_says_how_a_run_ended():
    from crawler.run.summary import RunSummary

    stats = {
        "newsarchive/requests": 12,
        "newsarchive/outcome/new": 5,
        "newsarchive/outcome/rejected": 2,
        "finish_reason": "shutdown",
    }
    line = RunSummary.from_stats(stats).line()
    assert line.startswith("12 pages requested: 5 new,") and "2 rejected" in line
    assert line.endswith("; interrupted")
    assert (
        not RunSummary.from_stats({**stats, "finish_reason": "finished"})
        .line()
        .endswith("interrupted")
    )
