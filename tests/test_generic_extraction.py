"""The generic extractor on hand-written pages of each CMS family, and on the forms it must know."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from parsel import Selector

from crawler.extract.dates import parse_date, parse_date_with_precision
from crawler.extract.generic import (
    BOILERPLATE_LINES,
    cut_site_name,
    find_body,
    find_published,
    find_source,
    find_title,
    meta_tags,
    read_generic,
)

PAGES = Path(__file__).parent / "data" / "extraction"
SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE_IDS = sorted(path.stem for path in PAGES.glob("*.json"))
PRECISION = {10: "day", 16: "minute", 19: "second"}

PROSE = (
    "会议指出，今年以来全县经济运行总体平稳，重点项目建设有序推进，民生保障持续加强。"
    "会议强调，各部门要压实责任，细化措施，确保各项任务落到实处，以实际行动推动高质量发展。"
)


def expected(page_id: str) -> dict:
    return json.loads((PAGES / f"{page_id}.json").read_text("utf-8"))


def read(page_id: str):
    return read_generic((PAGES / f"{page_id}.html").read_bytes(), expected(page_id)["url"])


def char_f1(found: str, wanted: str) -> float:
    got = Counter(c for c in found if not c.isspace())
    want = Counter(c for c in wanted if not c.isspace())
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def html(body: str, head: str = "", charset: str = "utf-8") -> bytes:
    return f"<html><head><meta charset='{charset}'>{head}</head><body>{body}</body></html>".encode(
        charset
    )


def root_of(body: str, head: str = ""):
    return Selector(text=html(body, head).decode()).root


def test_there_are_pages_of_every_family():
    families = Counter(expected(page_id)["family"] for page_id in PAGE_IDS)
    assert {"trs", "hanweb", "dayang", "county", "news"} <= set(families)
    assert all(count >= 3 for count in families.values())


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_title_date_and_source_of_each_page(page_id):
    want = expected(page_id)
    record = read(page_id)
    assert record is not None
    assert record.title == want["title"]
    assert record.source == want["source"]
    stated = want["published_at"]
    assert record.published_precision == PRECISION[len(stated)]
    assert record.published_at == datetime.fromisoformat(stated).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_body_of_each_page(page_id):
    record = read(page_id)
    assert record is not None
    assert char_f1(record.body, expected(page_id)["body"]) >= 0.95
    # The paragraphs as the page has them, nothing of the page furniture among them.
    assert record.body.split("\n") == expected(page_id)["body"].split("\n")


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_provenance_names_every_field(page_id):
    record = read(page_id)
    assert record is not None
    assert set(record.provenance) == {
        "encoding",
        "title",
        "published_at",
        "source",
        "column",
        "body",
    }
    assert record.provenance["body"] == "generic:density"


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("来源：县应急管理局 发布时间：2024-02-07", "县应急管理局"),
        ("来源:县应急管理局  作者：张三", "县应急管理局"),
        ("来源 : 县应急管理局", "县应急管理局"),
        ("来源：\u00a0县应急管理局\u00a0\u00a0浏览次数：12", "县应急管理局"),
        ("【来源：县应急管理局】【字体：大 中 小】", "县应急管理局"),
        ("[来源]县应急管理局　[时间]2024-02-07", "县应急管理局"),
        ("信息来源：县应急管理局", "县应急管理局"),
        ("文章来源：县应急管理局|发布日期：2024-02-07", "县应急管理局"),
        ("2024年02月07日10:07 | 来源：人民网－人民日报", "人民网－人民日报"),
    ],
)
def test_source_label_variants(line, value):
    root = root_of(f"<h1>标题</h1><div>{line}</div><div><p>{PROSE}</p></div>")
    found = find_source(root, meta_tags(root), line)
    assert found is not None
    assert found[0] == value
    assert found[1].startswith("generic:label:")


@pytest.mark.parametrize(
    ("line", "day", "precision"),
    [
        ("发布时间：2024-02-07 10:07", "2024-02-07 10:07", "minute"),
        ("发布时间:2024-02-07 10:07:33", "2024-02-07 10:07:33", "second"),
        ("【发布时间：２０２４－０２－０７】", "2024-02-07", "day"),
        ("发布日期：2024年2月7日", "2024-02-07", "day"),
        ("发布日期：2024年02月07日 10:07", "2024-02-07 10:07", "minute"),
        ("[时间]2024/2/7", "2024-02-07", "day"),
        ("日期: 2024.02.07 来源: 本网", "2024-02-07", "day"),
        ("发布时间 :\u00a02024-2-7 10:07:00", "2024-02-07 10:07:00", "second"),
        # 成文日期 is when a document was signed: the publication date is the other one.
        ("成文日期：2024-01-12 发布日期：2024-01-18", "2024-01-18", "day"),
    ],
)
def test_date_label_variants(line, day, precision):
    root = root_of(f"<h1>关于开展安全检查的通知</h1><div>{line}</div><div><p>{PROSE}</p></div>")
    found = find_published(root, meta_tags(root), "")
    assert found is not None
    moment, found_precision = parse_date_with_precision(found[0], SHANGHAI)
    assert (moment, found_precision) == (
        datetime.fromisoformat(day).replace(tzinfo=SHANGHAI),
        precision,
    )


@pytest.mark.parametrize(
    ("text", "stated", "precision"),
    [
        ("2024年2月7日", "2024-02-07", "day"),
        ("2024年02月07日 10:07", "2024-02-07 10:07", "minute"),
        ("２０２４－０２－０７", "2024-02-07", "day"),
        ("２０２４年２月７日　１０：０７", "2024-02-07 10:07", "minute"),
        ("2024-02-07 10:07", "2024-02-07 10:07", "minute"),
        ("2024-02-07 10:07:33", "2024-02-07 10:07:33", "second"),
        ("2024/2/7", "2024-02-07", "day"),
        ("2024.02.07", "2024-02-07", "day"),
        ("发布日期：2024-02-07", "2024-02-07", "day"),
        ("2024年02月07日 10时07分", "2024-02-07 10:07", "minute"),
        ("2024-03-07-18:03:22", "2024-03-07 18:03:22", "second"),
        ("2024-02-07T02:07:00Z", "2024-02-07 10:07:00", "second"),
    ],
)
def test_date_forms_and_their_precision(text, stated, precision):
    moment, found = parse_date_with_precision(text, SHANGHAI)
    assert moment == datetime.fromisoformat(stated).replace(tzinfo=SHANGHAI)
    assert found == precision


@pytest.mark.parametrize("text", ["", "浏览次数：12", "2024-02", "2024-02-30", "第2024.13.45号"])
def test_texts_without_a_date_have_no_precision(text):
    assert parse_date_with_precision(text, SHANGHAI) is None


def test_parse_date_still_reads_a_day_as_midnight():
    # Its callers (the profile-driven extractor) keep what they had.
    assert parse_date("2024年2月7日", SHANGHAI).isoformat() == "2024-02-07T00:00:00+08:00"


def test_a_page_giving_only_a_day_is_day_precise():
    page = html(
        f"<h1>全县召开春耕生产工作会议</h1><div>发布日期：2024年2月7日</div><div><p>{PROSE}</p></div>"
    )
    record = read_generic(page, "http://www.example.gov.cn/a.html")
    assert record is not None
    assert record.published_precision == "day"
    assert record.published_at == datetime(2024, 2, 7, tzinfo=SHANGHAI)


def test_the_meta_tag_gives_way_to_the_same_day_with_its_time():
    head = '<meta name="publishdate" content="2024-02-07">'
    page = html(
        f"<h1>全县召开春耕生产工作会议</h1><div>2024年02月07日10:07 | 来源：本网</div><div><p>{PROSE}</p></div>",
        head,
    )
    record = read_generic(page, "http://www.example.gov.cn/a.html")
    assert record is not None
    assert (record.published_at, record.published_precision) == (
        datetime(2024, 2, 7, 10, 7, tzinfo=SHANGHAI),
        "minute",
    )


def test_dates_of_footers_and_related_lists_are_never_the_date():
    related = "".join(
        f"<li><a href='/{n}.html'>相关新闻标题第{n}条</a><span>2023-12-{n:02d}</span></li>"
        for n in range(10, 16)
    )
    page = html(
        f"<h1>全县召开春耕生产工作会议</h1><div class='article'><p>{PROSE}</p></div>"
        f"<div class='related'><h3>相关新闻</h3><ul>{related}</ul></div>"
        "<div class='footer'>更新时间：2023-12-31 版权所有 陕ICP备05012345号</div>"
    )
    record = read_generic(page, "http://www.example.gov.cn/news/show.asp?id=12")
    assert record is not None
    assert record.published_at is None
    assert record.provenance["published_at"] == "none"


def test_the_date_in_the_url_is_the_last_resort():
    page = html(f"<h1>全县召开春耕生产工作会议</h1><div><p>{PROSE}</p></div>")
    record = read_generic(page, "http://www.example.gov.cn/xwzx/202402/t20240207_123.html")
    assert record is not None
    assert (record.published_at, record.published_precision) == (
        datetime(2024, 2, 7, tzinfo=SHANGHAI),
        "day",
    )
    assert record.provenance["published_at"] == "generic:url"


@pytest.mark.parametrize(
    ("title", "cut"),
    [
        ("全县召开春耕生产工作会议 - 麟游县人民政府", "全县召开春耕生产工作会议"),
        ("全县召开春耕生产工作会议_麟游县人民政府", "全县召开春耕生产工作会议"),
        ("全县召开春耕生产工作会议_工作动态_麟游县人民政府", "全县召开春耕生产工作会议"),
        ("全县召开春耕生产工作会议|麟游县政府网", "全县召开春耕生产工作会议"),
        ("2023年全社会固定资产投资增长3.0%--经济·科技--人民网", "2023年全社会固定资产投资增长3.0%"),
        (
            "2023年我国规模以上工业增加值同比增长4.6%-新华网",
            "2023年我国规模以上工业增加值同比增长4.6%",
        ),
        # Dashes inside a title are not separators.
        ("2024-2025学年第一学期校历发布", "2024-2025学年第一学期校历发布"),
        ("奋进新征程——记全国劳动模范张建国_宝鸡市人民政府", "奋进新征程——记全国劳动模范张建国"),
    ],
)
def test_site_names_are_cut_from_titles(title, cut):
    assert cut_site_name(title) == cut


def test_the_heading_the_title_tag_agrees_with_is_the_title():
    body = (
        "<div class='logo'><h1>麟游县人民政府</h1></div>"
        "<div class='hot'><h2>热点</h2></div>"
        f"<h2 class='article-title'>全县召开春耕生产工作会议</h2><div><p>{PROSE}</p></div>"
    )
    root = root_of(body, "<title>全县召开春耕生产工作会议 - 麟游县人民政府</title>")
    assert find_title(root, meta_tags(root)) == ("全县召开春耕生产工作会议", "generic:h2")


def test_article_title_meta_comes_first():
    head = '<meta name="ArticleTitle" content="全县召开春耕生产工作会议"><title>首页</title>'
    root = root_of(f"<h1>麟游县人民政府</h1><div><p>{PROSE}</p></div>", head)
    assert find_title(root, meta_tags(root)) == ("全县召开春耕生产工作会议", "meta:ArticleTitle")


def test_without_a_heading_the_title_tag_is_cut():
    root = root_of(
        f"<div><p>{PROSE}</p></div>", "<title>全县召开春耕生产工作会议_麟游县人民政府</title>"
    )
    assert find_title(root, meta_tags(root)) == ("全县召开春耕生产工作会议", "generic:title-tag")


def test_a_list_page_has_no_article():
    items = "".join(
        f"<li><a href='/xwzx/202402/t202402{n:02d}_1{n}.html'>全县召开第{n}次工作推进会议暨重点项目调度会</a>"
        f"<span>2024-02-{n:02d}</span></li>"
        for n in range(1, 21)
    )
    page = html(
        "<div class='nav'><a href='/'>首页</a><a href='/xwzx/'>新闻中心</a></div>"
        "<div class='position'>当前位置：<a href='/'>首页</a> &gt; 工作动态</div>"
        f"<div class='main'><h2>工作动态</h2><ul>{items}</ul><div class='page'>共20条 1/1页</div></div>"
        "<div class='footer'>版权所有：麟游县人民政府 陕ICP备05012345号</div>",
        "<title>工作动态_麟游县人民政府</title>",
    )
    assert read_generic(page, "http://www.linyou.gov.cn/xwzx/gzdt/") is None
    assert find_body(Selector(text=page.decode()).root) is None


def test_a_page_of_menus_only_has_no_article():
    menus = "".join(f"<div class='menu'><a href='/{n}/'>栏目{n}</a></div>" for n in range(30))
    page = html(
        f"<h1>麟游县人民政府</h1>{menus}<div class='footer'>地址：九成宫镇 电话：1234567</div>"
    )
    assert read_generic(page, "http://www.linyou.gov.cn/") is None


def test_boilerplate_lines_in_the_body_block_are_dropped():
    noise = [
        "【字体：大 中 小】",
        "打印本页 关闭窗口",
        "【打印本页】【关闭窗口】",
        "扫一扫在手机打开当前页",
        "上一篇：全县召开春节前市场保供稳价工作会",
        "下一篇：没有了",
        "相关链接",
        "分享到：",
        "陕ICP备05012345号 陕公网安备 61032902000123号",
        "当前位置：首页 > 新闻中心",
    ]
    lines = "".join(f"<p>{line}</p>" for line in noise)
    page = html(
        f"<h1>全县召开春耕生产工作会议</h1><div class='zw'><p>{PROSE}</p><p>{PROSE}</p>{lines}</div>"
    )
    record = read_generic(page, "http://www.example.gov.cn/a.html")
    assert record is not None
    assert record.body == f"{PROSE}\n{PROSE}"
    for line in noise:
        assert any(pattern.search(line) for pattern in BOILERPLATE_LINES), line


def test_content_lines_are_not_boilerplate():
    content = [
        PROSE,
        "一、工作目标",
        "时间：2月8日上午9时",
        "（通讯员 张晓燕）",
        "打印机采购项目已完成验收。",
    ]
    assert not [line for line in content if any(p.search(line) for p in BOILERPLATE_LINES)]


def test_the_body_block_leaves_out_the_side_boxes():
    side = "".join(
        f"<p>简介第{n}段，这里是一段较长的介绍文字，有逗号，也有句号。</p>" for n in range(3)
    )
    page = html(
        f"<h1>全县召开春耕生产工作会议</h1><div class='side'>{side}</div>"
        f"<div class='article'><p>{PROSE}</p><p>{PROSE}</p><p>{PROSE}</p></div>"
    )
    record = read_generic(page, "http://www.example.gov.cn/a.html")
    assert record is not None
    assert record.body == "\n".join([PROSE] * 3)


def test_gbk_bytes_without_a_charset_are_read():
    page = (
        "<html><head><title>全县召开春耕生产工作会议</title></head><body>"
        f"<h1>全县召开春耕生产工作会议</h1><div>来源：县农业农村局</div><div><p>{PROSE}</p></div>"
        "</body></html>"
    ).encode("gbk")
    record = read_generic(page, "http://www.example.gov.cn/a.html")
    assert record is not None
    assert (record.title, record.source, record.body) == (
        "全县召开春耕生产工作会议",
        "县农业农村局",
        PROSE,
    )


def test_content_after_a_stray_closing_html_tag_is_read():
    # An included header that closes the page: libxml2 puts what follows into a second <html>.
    page = (
        "<html><head><meta charset='utf-8'><title>关于批准决算的决议_中国政府网</title></head>"
        "<body><div class='header'><a href='/'>首页</a></div></body></html>"
        f"<div class='content'><h1>关于批准决算的决议</h1><div id='UCAP-CONTENT'><p>{PROSE}</p></div></div>"
    ).encode()
    record = read_generic(page, "https://www.gov.cn/gongbao/content/2007/content_711039.htm")
    assert record is not None
    assert (record.title, record.body) == ("关于批准决算的决议", PROSE)


def test_a_title_broken_by_line_breaks_is_one_line_and_leaves_the_body():
    head = "<title>宝鸡市人民政府办公室关于印发工作方案的通知_宝鸡市人民政府</title>"
    body = (
        "<div id='Zoom'><p align='center'><strong>宝鸡市人民政府办公室<br>关于印发工作方案的通知"
        f"</strong></p><p>{PROSE}</p></div>"
    )
    record = read_generic(html(body, head), "http://www.baoji.gov.cn/a.html")
    assert record is not None
    assert record.title == "宝鸡市人民政府办公室关于印发工作方案的通知"
    assert record.body == PROSE


def test_a_title_repeated_in_a_share_box_after_the_body_is_not_the_heading():
    body = (
        "<div class='h-title'>全县召开春耕生产工作会议</div><div class='h-info'>2024-02-07 10:07:40</div>"
        f"<div id='detail'><p>{PROSE}</p></div><div class='share-title'>全县召开春耕生产工作会议</div>"
    )
    record = read_generic(html(body, "<title>全县召开春耕生产工作会议-新华网</title>"), "http://x/")
    assert record is not None
    assert record.published_at == datetime(2024, 2, 7, 10, 7, 40, tzinfo=SHANGHAI)


def test_footer_lines_of_the_text_outside_the_body_give_no_date_or_source():
    root = root_of(f"<h1>全县召开春耕生产工作会议</h1><div><p>{PROSE}</p></div>")
    outside = (
        "首页 新闻中心\n更新时间：2023-12-31 来源：本站 版权所有：麟游县人民政府 陕ICP备05012345号"
    )
    assert find_published(root, meta_tags(root), outside) is None
    assert find_source(root, meta_tags(root), outside) is None


def test_a_source_meta_tag_is_read_like_a_label():
    root = root_of(
        f"<h1>标题</h1><div><p>{PROSE}</p></div>",
        '<meta name="source" content="来源：人民网-文化频道 原创稿">',
    )
    assert find_source(root, meta_tags(root), "") == ("人民网-文化频道", "meta:source")


def test_meta_tag_names_are_lower_cased():
    root = root_of(
        "",
        '<meta name="ArticleTitle" content="标题"><meta property="og:title" content="标题_网">'
        '<meta itemprop="datePublished" content="2024-02-07">',
    )
    assert meta_tags(root) == {
        "articletitle": "标题",
        "og:title": "标题_网",
        "datepublished": "2024-02-07",
    }


def test_page_numbers_and_more_links_are_boilerplate():
    for line in ["【1】【2】【3】【4】", "上一页 1 2 3 下一页", "点击进入“文艺星青年”>>"]:
        assert any(pattern.search(line) for pattern in BOILERPLATE_LINES), line


def test_content_source_outranks_the_label_and_the_label_outranks_other_source_tags():
    body = f"<h1>全县召开春耕生产工作会议</h1><div>来源：新华网</div><div><p>{PROSE}</p></div>"
    standard = root_of(body, '<meta name="ContentSource" content="县农业农村局">')
    assert find_source(standard, meta_tags(standard), "") == ("县农业农村局", "meta:ContentSource")
    other = root_of(body, '<meta name="source" content="新华社">')
    assert find_source(other, meta_tags(other), "") == ("新华网", "generic:label:来源")


def test_a_link_line_between_the_heading_and_the_date_is_passed_over():
    body = (
        "<h1>全县召开春耕生产工作会议</h1><div><a href='/'>中国日报网</a></div>"
        f"<div>2023-11-17 15:13</div><div><p>{PROSE}</p></div>"
    )
    root = root_of(body, '<meta name="publishdate" content="2023-11-17">')
    assert find_published(root, meta_tags(root), "") == ("2023-11-17 15:13", "generic:near-title")


def test_the_title_heading_in_a_sidebar_named_block_still_leads_to_its_date():
    page = html(
        "<aside class='ymw-contxt-aside'><h1>全县召开春耕生产工作会议</h1>"
        "<span>2024-02-07 10:07 县融媒体中心[整理]</span></aside>"
        f"<div class='content'><p>{PROSE}</p></div>",
        "<title>全县召开春耕生产工作会议|某某县人民政府</title>",
    )
    record = read_generic(page, "http://www.example.gov.cn/a.html")
    assert record is not None
    assert record.published_at == datetime(2024, 2, 7, 10, 7, tzinfo=SHANGHAI)


def test_a_byline_linking_to_its_author_still_gives_the_date():
    page = html(
        "<h1>全县召开春耕生产工作会议</h1>"
        "<div class='timeBref'><a href='/media/1'>2024年02月07日 10:07:00 来自北京</a></div>"
        f"<div class='content'><p>{PROSE}</p></div>"
    )
    record = read_generic(page, "http://www.example.gov.cn/a.html")
    assert record is not None
    assert (record.published_at, record.published_precision) == (
        datetime(2024, 2, 7, 10, 7, tzinfo=SHANGHAI),
        "second",
    )


def test_an_empty_source_label_before_a_separator_is_no_source():
    page = html(
        "<h1>全县召开春耕生产工作会议</h1><div>发布时间：2024-02-07 来源：| 作者：张三</div>"
        f"<div class='content'><p>{PROSE}</p></div>"
    )
    record = read_generic(page, "http://www.example.gov.cn/a.html")
    assert record is not None and record.source == ""


def test_a_date_printed_without_its_year_is_completed_by_the_pages_own_full_date():
    head = '<meta itemprop="dateUpdate" content="2019-09-30 22:46:13">'
    byline = "<div><span class='date'>发布时间：09-30</span><span class='time'>22:46</span></div>"
    page = html(f"<h1>全县召开春耕生产工作会议</h1>{byline}<div><p>{PROSE}</p></div>", head)
    record = read_generic(page, "http://www.example.com/s?id=1")
    assert record is not None
    assert record.published_at == datetime(2019, 9, 30, 22, 46, 13, tzinfo=SHANGHAI)
    assert record.provenance["published_at"] == "generic:near-title+page-data"


def test_a_date_without_its_year_is_never_guessed():
    byline = "<div><span class='date'>发布时间：09-30</span><span class='time'>22:46</span></div>"
    page = html(f"<h1>全县召开春耕生产工作会议</h1>{byline}<div><p>{PROSE}</p></div>")
    record = read_generic(page, "http://www.example.com/s?id=1")
    assert record is not None and record.published_at is None


def test_a_notice_of_one_sentence_under_its_heading_is_an_article():
    page = html(
        "<div class='nav'><a href='/'>首页</a><a href='/tzgg/'>通知公告</a><a href='/xwzx/'>新闻中心</a></div>"
        "<div class='content'><h1>关于2024年度行政许可事项清单的公告</h1>"
        "<div class='time'><span>时间：2024-03-05</span><span>来源：</span></div>"
        "<div class='text'><p>行政许可事项清单已经调整，具体见附件。</p></div></div>"
        "<div class='footer'>版权所有：麟游县人民政府 陕ICP备05012345号</div>",
        "<title>关于2024年度行政许可事项清单的公告_麟游县人民政府</title>",
    )
    record = read_generic(page, "http://www.linyou.gov.cn/tzgg/202403/t20240305_1.html")
    assert record is not None
    assert record.body == "行政许可事项清单已经调整，具体见附件。"
    assert record.published_at == datetime(2024, 3, 5, tzinfo=SHANGHAI)
    # The empty 来源： is no source: the sentence on the next line is the body, not its value.
    assert record.source == ""


def test_a_short_sentence_far_from_any_heading_is_no_article():
    items = "".join(
        f"<li><a href='/xwzx/t2024020{n}_{n}.html'>全县召开第{n}次重点项目调度会</a></li>"
        for n in range(1, 8)
    )
    page = html(
        f"<div class='main'><h2>工作动态</h2><ul>{items}</ul></div>"
        "<div class='notice'><p>本站信息如有错误，欢迎留言指正。</p></div>",
        "<title>工作动态_麟游县人民政府</title>",
    )
    assert read_generic(page, "http://www.linyou.gov.cn/xwzx/gzdt/") is None


def test_an_article_with_a_related_list_inside_its_block_is_read():
    # Eight link lines of nine, but more prose than link text: an article, not a list page.
    related = "".join(
        f"<a href='/n{n}.html'>全县召开第{n}次重点项目调度会暨安全生产会议</a><br>"
        for n in range(8)
    )
    page = html(
        "<h1>全县召开春耕生产工作会议</h1><p>2024年02月07日 10:07</p>"
        f"<font class='zoom'><p>{PROSE}</p><p>{PROSE}</p><p>{PROSE}</p><br>相关新闻<br>{related}</font>",
        "<title>全县召开春耕生产工作会议_新闻</title>",
    )
    record = read_generic(page, "http://www.example.cn/n/2024/0207/c1.html")
    assert record is not None
    assert record.body.startswith("会议指出")


def test_the_byline_under_the_heading_gives_the_date_though_links_make_most_of_it():
    page = html(
        "<h1>全县召开春耕生产工作会议</h1>"
        "<div class='info'><a href='http://www.example.cn'>http://www.example.cn</a> "
        "2009年11月09日13:56 <a href='/media/'>某某新闻网</a></div>"
        f"<div id='artibody'><p>某某新闻网讯 {PROSE}</p><p>{PROSE}</p></div>",
        "<title>全县召开春耕生产工作会议_新闻</title>",
    )
    record = read_generic(page, "http://www.example.cn/article/13562762964.shtml")
    assert record is not None
    assert record.published_at == datetime(2009, 11, 9, 13, 56, tzinfo=SHANGHAI)
    assert record.provenance["published_at"] == "generic:near-title"


def test_a_byline_that_links_its_site_does_not_make_the_first_paragraph_a_teaser():
    page = html(
        "<h1>内乡宝天曼峡谷漂流景区开漂公告</h1>"
        "<p class='detailTxt'><a href='/'>内乡政府门户网站 www.example.gov.cn</a> "
        "<span>2018-04-19 17:32:17</span> <span>来源：县政府网站</span></p>"
        "<div class='contentBox'><p>景区定于2018年5月1日正式对外开漂运营，热诚欢迎社会各界新老朋友前来体验。</p>"
        "<p>详情请咨询：0377—65157888</p><p>特此公告！</p></div>",
        "<title>内乡宝天曼峡谷漂流景区开漂公告</title>",
    )
    record = read_generic(page, "http://www.example.gov.cn/")
    assert record is not None
    assert record.body.startswith("景区定于2018年5月1日")
    assert record.published_at == datetime(2018, 4, 19, 17, 32, 17, tzinfo=SHANGHAI)
    assert record.source == "县政府网站"


def test_the_shown_publishing_date_beats_a_pubdate_meta_of_another_day():
    page = html(
        "<h1>万载县2015年国民经济和社会发展统计公报</h1>"
        "<div class='info'>来源： 访问量：199 发布日期：2017-05-15 10:49:00</div>"
        f"<div class='content'><p>{PROSE}</p><p>{PROSE}</p></div>",
        "<title>万载县2015年国民经济和社会发展统计公报</title>"
        "<meta name='PubDate' content='2022-04-24 10:00:43'>",
    )
    record = read_generic(page, "http://www.example.gov.cn/tjgb/201705/abc.shtml")
    assert record is not None
    assert record.published_at == datetime(2017, 5, 15, 10, 49, tzinfo=SHANGHAI)
    assert record.provenance["published_at"] == "generic:label:发布日期"


def test_a_pubdate_meta_stands_when_the_page_shows_only_an_update_time():
    page = html(
        "<h1>全县召开春耕生产工作会议</h1><div class='info'>更新时间：2024-03-01</div>"
        f"<div class='content'><p>{PROSE}</p><p>{PROSE}</p></div>",
        "<title>全县召开春耕生产工作会议</title><meta name='PubDate' content='2024-02-07 10:07'>",
    )
    record = read_generic(page, "http://www.example.gov.cn/a.html")
    assert record is not None
    assert record.published_at == datetime(2024, 2, 7, 10, 7, tzinfo=SHANGHAI)
    assert record.provenance["published_at"] == "meta:PubDate"
