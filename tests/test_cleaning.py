"""Cleaning and mirror repair: hand-written expectations per rule, the seed article, properties."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.records import ArticleRecord
from archive.text.repair import repair_mojibake, repair_text
from crawler.extract.record import clean_record
from crawler.sites.profile import load_profile

SEED = Path(__file__).parent / "data" / "seed"
PROFILE = load_profile("chencang")
TRADITIONAL_PROFILE = replace(PROFILE, script="traditional")


def record(body: str, title: str = "我区召开工作会议", **fields: str) -> ArticleRecord:
    return ArticleRecord(
        title=title, published_at=None, source="", column="", body=body, body_html="", **fields
    )


def cleaned(body: str, profile=PROFILE, **fields: str) -> ArticleRecord:
    return clean_record(record(body, **fields), profile).record


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("会议要求\u00a0抓好落实", "会议要求 抓好落实"),  # NBSP
        ("\u3000\u3000会议要求抓好落实", "会议要求抓好落实"),  # ideographic indentation
        ("会议\u200b要求", "会议要求"),  # zero-width space
        ("第一段\r\n\r\n第二段", "第一段\n第二段"),  # stray \r, empty paragraph
        ("第一段\n \n\u3000\n第二段", "第一段\n第二段"),  # blank paragraphs
        ("e\u0301", "\u00e9"),  # NFC
        ("会议指出：要抓好，“三创”工作。", "会议指出：要抓好，“三创”工作。"),  # full-width kept
        ("图为会议现场\n会议指出", "图为会议现场\n会议指出"),  # a caption stays a paragraph
    ],
)
def test_text_is_canonical(body, expected):
    assert cleaned(body).body == expected


@pytest.mark.parametrize(
    ("body", "text", "editor", "author"),
    [
        ("正文。\n责任编辑：王五", "正文。", "王五", ""),
        ("正文。\n（作者：张三 通讯员：李四）", "正文。", "", "张三 李四"),
        ("【编辑：赵六】\n正文。", "正文。", "赵六", ""),
        ("正文。\n作者：张三\n审核：王五", "正文。", "王五", "张三"),
        ("记者：孙七 摄影：周八\n正文。", "正文。", "", "孙七 周八"),
        (
            "正文提到编辑：这不是署名行，因为它是正文的一部分。\n结尾。",
            "正文提到编辑：这不是署名行，因为它是正文的一部分。\n结尾。",
            "",
            "",
        ),
    ],
)
def test_bylines_become_fields(body, text, editor, author):
    result = cleaned(body)
    assert (result.body, result.editor, result.author) == (text, editor, author)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("我区召开工作会议\n正文。", "正文。"),  # the title repeated
        ("来源：区融媒体中心 发布时间：2024-02-07 10:07\n正文。", "正文。"),
        ("发布时间: 2024-02-07\n来源：区融媒体中心\n正文。", "正文。"),
        ("打印本页\n正文。\n关闭窗口", "正文。"),
        ("正文提到来源：区融媒体中心。", "正文提到来源：区融媒体中心。"),  # not at the head
    ],
)
def test_the_body_starts_with_the_text(body, expected):
    assert cleaned(body).body == expected


def test_the_seed_mirror_copy_comes_out_as_the_original_article():
    copy = (SEED / "mirror-copy.txt").read_text(encoding="utf-8")
    expected = (SEED / "expected.txt").read_text(encoding="utf-8").rstrip("\n")
    result = clean_record(record(copy, title=""), PROFILE)
    assert result.record.body == expected
    assert result.repairs.annotations == 194
    assert result.repairs.converted == 300


@pytest.mark.parametrize(
    "text",
    [
        "全区生产总值(GDP)增长5%",
        "下载应用(APP)办理",
        "在(2023)年度考核中",
        "引进项目(Project Alpha)三个",
        "陈(chén) 仓(cāng) 区(qū)",  # ruby text: every character annotated
        "问题?我们要一起解决",  # a question mark before Chinese is not mojibake
        "他说:好的,我们马上办",  # ASCII punctuation in undamaged text stays
        "投资1,200万元,同比增长5%",
    ],
)
def test_legitimate_text_is_untouched(text):
    assert repair_text(text) == (text, repair_text(text)[1])
    assert not repair_text(text)[1]


def test_punctuation_of_a_damaged_text_is_restored_but_not_thousands_separators():
    assert (
        repair_text("區(qū)投資1,200萬元,同比增長(zhǎng)5%,帶動就業")[0]
        == "区投资1,200万元，同比增长5%，带动就业"
    )


def test_annotations_go_only_after_converted_characters():
    assert repair_text("陳倉(cāng)要聞")[0] == "陈仓要闻"
    assert repair_text("應用(app)下載(zài)")[0] == "应用(app)下载"


def test_traditional_text_is_converted_only_for_a_simplified_site():
    text = "區委書記主持召開全區工作會議，部署當前重點工作。"
    assert cleaned(text).body == "区委书记主持召开全区工作会议，部署当前重点工作。"
    assert cleaned(text, TRADITIONAL_PROFILE).body == text


def mojibake(run: str) -> str:
    """docs/site.md §6's damage, built by hand: the run's GBK bytes read one byte out of step, the
    broken first byte shown as ?, a pad byte standing in for what followed the run."""
    return "?" + (run.encode("gbk")[1:] + b"\xa1").decode("gbk")


def test_a_mojibake_run_comes_back_but_its_first_character():
    run = "确保各项工作取得实效"
    damaged = mojibake(run)
    assert damaged == "?繁８飨罟ぷ魅〉檬敌А"
    text, runs, lost = repair_mojibake(f"会上，{damaged}。")
    assert runs == 1 and lost == 1
    assert text.startswith(f"会上，{run[1:]}")


def test_ordinary_chinese_after_a_question_mark_is_not_mojibake():
    text = "这是为什么?我们要找到原因并加以解决"
    assert repair_mojibake(text) == (text, 0, 0)


CJK = st.sampled_from(
    list("我区召开全体工作会议要求各部门认真抓好落实确保项目建设顺利推进群众满意")
)
PARAGRAPH = st.text(CJK | st.sampled_from(list("，。、“”0123456789 ")), min_size=1, max_size=40)
BODY = st.lists(PARAGRAPH, min_size=1, max_size=6).map("\n".join)


@settings(max_examples=200, deadline=None)
@given(BODY)
def test_cleaning_is_idempotent(body):
    once = cleaned(body)
    assert clean_record(once, PROFILE).record == once


@settings(max_examples=200, deadline=None)
@given(BODY)
def test_cleaning_never_drops_a_chinese_character(body):
    before = [c for c in body if "\u4e00" <= c <= "\u9fff"]
    after = [c for c in cleaned(body, title="").body if "\u4e00" <= c <= "\u9fff"]
    assert after == before


ANNOTATED = st.sampled_from(
    ["區(qū)", "書(shū)", "開(kāi)", "會(huì)", "議(yì)", "實(shí)", "機(jī)", "關(guān)"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(CJK | ANNOTATED, min_size=1, max_size=60))
def test_only_annotations_are_removed(parts):
    text = "".join(parts)
    repaired, repairs = repair_text(text)
    expected = "".join(part[0] for part in parts)
    simplified = {
        "區": "区",
        "書": "书",
        "開": "开",
        "會": "会",
        "議": "议",
        "實": "实",
        "機": "机",
        "關": "关",
    }
    assert repaired == "".join(simplified.get(c, c) for c in expected)
    assert repairs.annotations == sum(1 for part in parts if len(part) > 1)
