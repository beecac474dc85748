"""The replica's re-platformed article pages: --article-template, --replatform-day, the switch."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import pytest
from parsel import Selector

from tests.replica.__main__ import parse_options
from tests.replica.process import ReplicaProcess
from tests.test_replica import (
    CST,
    LIST,
    body_of,
    clean,
    fetch,
    list_path,
    local_path,
    masked,
    node_text,
    served_url,
)

# What only the platform's templates (news, 信息公开, legacy) have: none may survive the re-platform.
PLATFORM_MARKERS = (
    "#Zoom",
    "#zoom",
    "div.hdpd2",
    "div.ly",
    "div.ly_left",
    "div.adress",
    "div.position",
    "div.xxgk_title",
    "div.art_title",
    "div.llcs",
    ".public-annex-downLoad",
    ".trs_editor_view",
    'meta[name="PubDate"]',
    'meta[name="ArticleTitle"]',
    'meta[name="ContentSource"]',
    'meta[name="ColumnName"]',
    'meta[name="SiteName"]',
)
# The re-platformed template's containers, one of each on every article page.
NEW_MARKERS = (
    "h1.article-title",
    "div.article-meta",
    "div.article-meta span.pub-time",
    "div.article-meta span.source",
    "div.article-content",
    "div.crumbs",
    "div.share-bar",
    "div.print-close",
    "div.qr-code",
    "div.related-articles",
    "footer.site-footer",
)
DATE_LABEL, SOURCE_LABEL = "发布日期：", "信息来源："
DATE_FORM = "%Y年%m月%d日 %H:%M:%S"
SERVED_STATES = ("live", "unlisted", "moved")  # states whose content is served as a 200 page


# --- an extractor written against the re-platformed markup, independent of the replica's code


def after(text: str, label: str) -> str:
    assert text.startswith(label), (label, text)
    return clean(text.removeprefix(label))


def extract_replatformed(html: str, page_url: str) -> dict:
    """title, published_at, source, body, images, attachments, links, column of one page."""
    page = Selector(text=html)
    meta = page.css("div.article-meta")
    when = after(clean(node_text(meta.css("span.pub-time")[0])), DATE_LABEL)
    content = page.css("div.article-content")
    crumbs = [clean(node_text(node)) for node in page.css("div.crumbs > a, div.crumbs > span")]
    return {
        "title": page.css("h1.article-title::text").get(),
        "published_at": datetime.strptime(when, DATE_FORM).replace(tzinfo=CST).isoformat(),
        "source": after(clean(node_text(meta.css("span.source")[0])), SOURCE_LABEL),
        "body": body_of(content.xpath("./p")),
        "images": [
            urljoin(page_url, src.split("?")[0]) for src in content.css("img::attr(src)").getall()
        ],
        "attachments": [
            {"url": urljoin(page_url, a.attrib["href"]), "text": clean(node_text(a))}
            for a in page.css("div.article-attachments a")
        ],
        "links": [
            {"url": urljoin(page_url, a.attrib["href"]), "text": clean(node_text(a))}
            for a in content.xpath("./p//a")
        ],
        "column": crumbs[-2],  # the trail ends with the column, then 正文
    }


def served_pages(site: ReplicaProcess, truth: dict) -> list[tuple[dict, str]]:
    """(truth article, decoded page) for every article whose content is served today."""
    found = []
    for article in truth["articles"]:
        if article["state"] in SERVED_STATES:
            page = fetch(site, local_path(served_url(article)))
            assert page.status == 200, article["url"]
            found.append((article, page.text(article["encoding"])))
    return found


def is_replatformed(html: str) -> bool:
    """True for the new template (all its markers), False for a platform one (none); a page
    with markers of both, or only some of the new ones, fails."""
    page = Selector(text=html)
    old = [marker for marker in PLATFORM_MARKERS if page.css(marker)]
    new = [marker for marker in NEW_MARKERS if page.css(marker)]
    assert bool(old) != bool(new), ("a mix of templates", old, new)
    assert len(new) in (0, len(NEW_MARKERS)), ("new markers missing", new)
    return bool(new)


def assert_shows_truth(article: dict, html: str) -> None:
    found = extract_replatformed(html, served_url(article))
    for field in ("title", "published_at", "source", "body", "images", "attachments", "links"):
        assert found[field] == article[field], (field, article["url"])
    assert found["column"] == article["column"], article["url"]


def without_template_key(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "article_template"}


def control_post(site: ReplicaProcess, path: str, body: bytes) -> int:
    request = urllib.request.Request(site.url(path), data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# --- fixtures


@pytest.fixture(scope="module")
def replatformed(replica_factory) -> ReplicaProcess:
    """The default site, re-platformed from day 1 (never switch its day)."""
    return replica_factory(article_template="replatformed")


@pytest.fixture(scope="module")
def replatformed_truth(replatformed: ReplicaProcess) -> dict:
    return replatformed.truth()


# --- tests


def test_every_article_page_has_only_the_new_markers(
    replatformed: ReplicaProcess, replatformed_truth: dict
) -> None:
    pages = served_pages(replatformed, replatformed_truth)
    assert {article["template"] for article, _ in pages} == {"news", "xxgk", "legacy"}
    assert {article["encoding"] for article, _ in pages} == {"utf-8", "gbk"}
    for article, html in pages:
        page = Selector(text=html)
        assert [m for m in PLATFORM_MARKERS if page.css(m)] == [], article["url"]
        assert [m for m in NEW_MARKERS if len(page.css(m)) != 1] == [], article["url"]
        assert "发布时间" not in html and "当前位置" not in html, article["url"]
        assert page.css("title::text").get() == f"{article['title']} - 宝鸡市陈仓区人民政府"


def test_pages_show_the_truths_content(
    replatformed: ReplicaProcess, replatformed_truth: dict
) -> None:
    pages = served_pages(replatformed, replatformed_truth)
    assert any(a["images"] for a, _ in pages) and any(a["attachments"] for a, _ in pages)
    assert any(a["links"] for a, _ in pages) and any(a["source"] == "" for a, _ in pages)
    for article, html in pages:
        assert_shows_truth(article, html)


def test_the_truth_is_the_platforms_plus_the_template_in_force(
    replica: ReplicaProcess, replatformed_truth: dict
) -> None:
    platform_truth = replica.truth()
    assert "article_template" not in platform_truth
    assert replatformed_truth["article_template"] == "replatformed"
    assert without_template_key(replatformed_truth) == platform_truth


def test_list_and_other_pages_are_identical_under_both_templates(
    replica: ReplicaProcess, replatformed: ReplicaProcess
) -> None:
    pages = replica.truth()["list_pages"]
    paths = [list_path(page) for page in range(pages)] + [f"{LIST}index.html", "/", "/col8173/"]
    for path in [*paths, list_path(pages), "/robots.txt"]:
        platform, new = fetch(replica, path), fetch(replatformed, path)
        assert platform.status == new.status, path
        assert masked(platform.body) == masked(new.body), path
        assert platform.headers.get("ETag") == new.headers.get("ETag"), path


def test_replatform_day_switches_on_that_day_and_not_before(replica_factory) -> None:
    site = replica_factory(replatform_day=3)
    article = next(a for a in site.truth()["articles"] if a["template"] == "news")
    path = local_path(article["url"])
    for day, expected in (
        (1, "platform"),
        (2, "platform"),
        (3, "replatformed"),
        (5, "replatformed"),
    ):
        site.set_day(day)
        truth = site.truth()
        assert site.day()["article_template"] == truth["article_template"] == expected, day
        assert site.article_template() == {
            "article_template": "platform",
            "replatform_day": 3,
            "in_force": expected,
        }
        page = fetch(site, path)
        assert is_replatformed(page.text(article["encoding"])) == (expected == "replatformed")
        modified = parsedate_to_datetime(page.headers["Last-Modified"])
        if expected == "replatformed":  # regenerated by the new CMS on day 3
            assert modified >= datetime(2025, 12, 3, tzinfo=CST), day
            current = next(a for a in truth["articles"] if a["url"] == article["url"])
            assert_shows_truth(current, page.text(article["encoding"]))


def test_the_run_time_switch_changes_article_pages_at_once(replica_factory) -> None:
    site = replica_factory()
    article = next(a for a in site.truth()["articles"] if a["template"] == "news")
    path = local_path(article["url"])
    before = fetch(site, path)
    assert not is_replatformed(before.text(article["encoding"]))
    assert site.set_article_template("replatformed")["in_force"] == "replatformed"
    after_switch = fetch(site, path, {"If-None-Match": before.headers["ETag"]})
    assert after_switch.status == 200 and after_switch.headers["ETag"] != before.headers["ETag"]
    assert is_replatformed(after_switch.text(article["encoding"]))
    assert site.truth()["article_template"] == site.day()["article_template"] == "replatformed"
    site.set_article_template(replatform_day=2)
    assert not is_replatformed(fetch(site, path).text(article["encoding"]))
    assert site.day() == {"day": 1, "date": "2025-12-01", "article_template": "platform"}
    site.set_day(2)
    assert is_replatformed(fetch(site, path).text(article["encoding"]))
    site.set_day(1)
    assert site.set_article_template() == {
        "article_template": "platform",
        "replatform_day": None,
        "in_force": "platform",
    }
    back = fetch(site, path)
    assert masked(back.body) == masked(before.body)
    for header in ("ETag", "Last-Modified", "Content-Type"):
        assert back.headers[header] == before.headers[header], header
    assert site.day() == {"day": 1, "date": "2025-12-01"} and "article_template" not in site.truth()


def test_bad_template_settings_are_refused_and_change_nothing(replica_factory) -> None:
    site = replica_factory(replatform_day=4)
    bad = [
        {"article_template": "wordpress"},
        {"replatform_day": 0},
        {"replatform_day": "3"},
        {"replatform_day": True},
        {"day": 3},
        ["replatformed"],
    ]
    for payload in bad:
        assert control_post(site, "/_replica/template", json.dumps(payload).encode()) == 400
    assert control_post(site, "/_replica/template", b"{not json") == 400
    assert site.article_template()["replatform_day"] == 4
    for argv in (["--replatform-day", "0"], ["--article-template", "other"]):
        with pytest.raises(SystemExit):
            parse_options(argv)


def test_extra_pages_and_a_late_day_are_replatformed_too(replica_factory) -> None:
    site = replica_factory(article_template="replatformed", duplicates=True)
    site.set_day(30)
    truth = site.truth()
    assert truth["article_template"] == "replatformed"
    for article, html in served_pages(site, truth):
        assert is_replatformed(html), article["url"]
        assert_shows_truth(article, html)
    assert {copy["kind"] for copy in truth["duplicates"]} == {
        "two_columns",
        "legacy_url",
        "re_edited",
    }
    for copy in truth["duplicates"]:
        page = fetch(site, local_path(copy["urls"][1]))
        assert page.status == 200, copy["urls"][1]
        found = extract_replatformed(page.text(), copy["urls"][1])
        for field in ("title", "published_at", "source", "body"):
            assert found[field] == copy[field], (field, copy["kind"])
