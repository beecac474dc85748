"""Diffs at character level: Chinese has no spaces, so a one-character fix is one character."""

from __future__ import annotations

from datetime import UTC, datetime

from archive.diff import diff_records
from archive.query import VersionRecord
from archive.records import ArticleRecord
from archive.text.diff import Span, char_spans, render_spans


def record(version: int, **fields) -> VersionRecord:
    base = dict(
        title="我区召开会议",
        published_at=datetime.fromisoformat("2024-02-07T10:07:00+08:00"),
        source="区融媒体中心",
        column="陈仓要闻",
        body="第一段。\n第二段。",
        body_html="<p>第一段。</p><p>第二段。</p>",
        doc_id="1",
    )
    content = ArticleRecord(**{**base, **fields})
    captured = datetime(2025, 12, version, tzinfo=UTC)
    return VersionRecord("http://www.chencang.gov.cn/a.html", content, version, captured, ())


def test_one_character_fixed_is_one_deletion_and_one_insertion():
    assert char_spans("全区工作会义召开", "全区工作会议召开") == (
        Span("equal", "全区工作会"),
        Span("delete", "义"),
        Span("insert", "议"),
        Span("equal", "召开"),
    )


def test_only_differing_fields_are_listed_with_counts():
    old = record(1)
    new = record(2, title="我区召开全体会议", body="第一段。\n第二段。\n第三段。")
    diff = diff_records(old, new)
    assert [f.field for f in diff.fields] == ["title", "body"]
    body = diff.fields[1]
    assert (body.chars_added, body.chars_removed) == (5, 0)
    assert diff.to_json()["changed_fields"] == ["title", "body"]


def test_rendering_marks_changes_and_cuts_long_context():
    spans = char_spans("甲" * 50 + "旧" + "乙" * 50, "甲" * 50 + "新" + "乙" * 50)
    assert render_spans(spans, context=3) == "…甲甲甲[-旧-]{+新+}乙乙乙…"


def test_lists_are_compared_as_text():
    old = record(1, images=("http://x/a.jpg",))
    new = record(2, images=("http://x/b.jpg",))
    (field,) = diff_records(old, new).fields
    assert field.field == "images"
    assert field.chars_added == 1 and field.chars_removed == 1
