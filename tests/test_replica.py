"""The replica site over real HTTP: determinism, lists, truth against pages, timeline, validators,
the extended site (mirror, duplicates, invalid) and the fault modes."""

from __future__ import annotations

import difflib
import http.client
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import urllib.robotparser
from contextlib import closing
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

import pytest
from parsel import Selector

from tests.replica import pages, vocabulary
from tests.replica.faults import DEFAULT_KINDS, KINDS, LOOP_WINDOW
from tests.replica.pinyin import READINGS
from tests.replica.process import REPO_ROOT, ReplicaProcess
from tests.replica.traditional import IDENTICAL, KEPT, SIMPLIFIED, TRADITIONAL

ORIGIN = "http://www.chencang.gov.cn"
LIST = "/col8173/col8174/"
WHITESPACE = " \t\r\n\u3000\xa0"
CST = timezone(timedelta(hours=8))
VOLATILE = (
    (rb'<span id="views">\d+</span>', b'<span id="views">N</span>'),
    (rb"<span>\d+</span></div>\n<div id=\"zoom\">", b'<span>N</span></div>\n<div id="zoom">'),
    (rb'<div class="side">.*?</ul></div>', b'<div class="side"></div>'),
    (rb'<span class="now">[^<]*</span>', b'<span class="now"></span>'),
    (rb'name="__token" value="[0-9a-f]+"', b'name="__token" value=""'),
    (rb"\?v=\d+", b"?v="),
)


# --- HTTP helpers (http.client: no redirect following, no exceptions on 4xx)


class Page:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def text(self, encoding: str = "utf-8") -> str:
        return self.body.decode("gb18030" if encoding == "gbk" else encoding)


def fetch(
    replica: ReplicaProcess, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> Page:
    return fetch_from(replica.base_url, path, headers, method)


def fetch_from(
    base_url: str, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> Page:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return Page(response.status, response.headers, response.read())
    finally:
        connection.close()


def masked(body: bytes) -> bytes:
    for pattern, replacement in VOLATILE:
        body = re.sub(pattern, replacement, body, flags=re.S)
    return body


def local_path(url: str) -> str:
    return urlsplit(url).path


# --- an extractor written against the markup contract, independent of crawler code


def clean(text: str) -> str:
    return text.strip(WHITESPACE)


def node_text(node: Selector) -> str:
    return "".join(node.xpath(".//text()").getall())


def parse_time(text: str) -> str:
    """'2025-11-28 10:07[:33]' or '2025年11月28日 10:07' -> ISO with +08:00."""
    if match := re.search(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))?", text):
        numbers = [int(g or 0) for g in match.groups()]
    elif match := re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日 (\d{2}):(\d{2})", text):
        numbers = [int(g) for g in match.groups()] + [0]
    else:
        raise AssertionError(f"no time in {text!r}")
    return datetime(*numbers, tzinfo=CST).isoformat()  # type: ignore[misc]


def after_label(text: str, label: str) -> str:
    return clean(text.split(label, 1)[1].lstrip(WHITESPACE).lstrip(":：").lstrip(WHITESPACE))


def body_of(paragraphs: list[Selector]) -> str:
    texts = (clean(node_text(p)) for p in paragraphs)
    return "\n".join(t for t in texts if t)


def extract(html: str, page_url: str) -> dict:
    """title, source, published_at, body, images, attachments, links, metas of one article."""
    page = Selector(text=html)
    if page.css("div.hdpd2 h2"):
        spans = [node_text(s) for s in page.css("div.ly_left > span")]
        title, source, when = page.css("div.hdpd2 h2::text").get(), spans[0], spans[1]
        paragraphs = page.css("#Zoom .trs_editor_view > p")
    elif page.css("div.xxgk_title"):
        info = [node_text(p) for p in page.css("div.xxgk_info p")]
        title, when, source = page.css("div.xxgk_title h1::text").get(), info[0], info[1]
        paragraphs = page.css("#Zoom .TRS_UEDITOR > p")
    else:
        cells = [clean(node_text(td)) for td in page.css("table.xxgk_table td")]
        title, when = page.css("div.art_title h1::text").get(), node_text(page.css(".art_info")[0])
        source = "来源：" + cells[cells.index("发布机构：") + 1]
        paragraphs = page.css("#zoom > p")
    return {
        "title": title,
        "source": after_label(source, "来源"),
        "published_at": parse_time(when),
        "body": body_of(paragraphs),
        "images": [
            urljoin(page_url, src.split("?")[0])
            for src in page.css("#Zoom img::attr(src), #zoom img::attr(src)").getall()
        ],
        "attachments": [
            {"url": urljoin(page_url, a.attrib["href"]), "text": clean(node_text(a))}
            for a in page.css("#Zoom .public-annex-downLoad a")
        ],
        "links": [
            {"url": urljoin(page_url, a.attrib["href"]), "text": clean(node_text(a))}
            for a in page.css("#Zoom .trs_editor_view p a")
        ],
        "meta": {
            name: page.css(f'meta[name="{name}"]::attr(content)').get()
            for name in ("ArticleTitle", "PubDate", "ContentSource", "ColumnName", "Url")
        },
        "html_title": page.css("title::text").get(),
    }


def list_items(html: str) -> list[dict[str, str]]:
    """Items of any list template: href, title attribute, anchor text, date."""
    page = Selector(text=html)
    nodes = page.css("div.xx_list li") or page.css("div.default_pgContainer li")
    if not nodes:
        records = re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", html, flags=re.S)
        nodes = [Selector(text=record).css("li")[0] for record in records]
    return [
        {
            "href": li.css("a::attr(href)").get(),
            "title": li.css("a::attr(title)").get(),
            "text": li.css("a::text").get(),
            "date": clean(node_text(li.css("span, b")[0])).strip("[]"),
        }
        for li in nodes
    ]


def page_count(html: str) -> tuple[int, int]:
    match = re.search(r'createPage(?:HTML)?\((\d+), (\d+), "index", "html"\)', html)
    assert match, "no pagination script"
    return int(match.group(1)), int(match.group(2))


def list_path(page: int) -> str:
    return LIST if page == 0 else f"{LIST}index_{page}.html"


def whole_list(replica: ReplicaProcess) -> list[dict[str, str]]:
    total, _ = page_count(fetch(replica, LIST).text())
    items = []
    for page in range(total):
        for item in list_items(fetch(replica, list_path(page)).text()):
            item["url"] = urljoin(ORIGIN + list_path(page), item["href"])
            items.append(item)
    return items


def served_url(article: dict) -> str:
    return article["moved_to"] or article["url"]


def assert_page_matches(replica: ReplicaProcess, article: dict) -> None:
    """The served page shows exactly the truth's fields."""
    page = fetch(replica, local_path(served_url(article)))
    assert page.status == 200, article["url"]
    found = extract(page.text(article["encoding"]), served_url(article))
    for field in ("title", "source", "published_at", "body", "images", "attachments"):
        assert found[field] == article[field], (field, article["url"])
    if article["template"] == "news":
        assert found["links"] == article["links"], article["url"]
        assert found["html_title"] == f"{article['title']}_陈仓要闻_宝鸡市陈仓区人民政府"
    if article["template"] != "legacy":
        assert found["meta"]["ArticleTitle"] == article["title"]
        assert found["meta"]["ColumnName"] == article["column"]
        if found["meta"]["PubDate"] is not None:
            assert parse_time(found["meta"]["PubDate"]) == article["published_at"]
            assert found["meta"]["ContentSource"] == article["source"]


# --- fixtures


@pytest.fixture(scope="module")
def truth(replica: ReplicaProcess) -> dict:
    return replica.truth()


@pytest.fixture(scope="module")
def timeline_replica(replica_factory) -> ReplicaProcess:
    """A default site whose day the tests below switch (always set the day you need)."""
    return replica_factory()


# --- vocabulary and process


def test_vocabulary_is_gbk_encodable() -> None:
    for text in vocabulary.all_strings():
        assert text.encode("gbk").decode("gbk") == text


def test_standalone_prints_its_url_and_stops_cleanly() -> None:
    process = ReplicaProcess(articles=40, days=3)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", process.base_url)
    assert process.day() == {"day": 1, "date": "2025-12-01"}
    assert process.stop() == 0


def test_keep_alive_serves_many_requests_on_one_connection(replica: ReplicaProcess) -> None:
    parts = urlsplit(replica.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        for path in (LIST, "/robots.txt", "/", f"{LIST}index_1.html", "/js/common.js"):
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200
            assert int(response.headers["Content-Length"]) == len(body)
    finally:
        connection.close()


def test_head_sends_headers_without_body(replica: ReplicaProcess) -> None:
    full, head = fetch(replica, LIST), fetch(replica, LIST, method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Length"] == str(len(full.body))


def test_unknown_paths_get_a_site_like_404(replica: ReplicaProcess) -> None:
    page = fetch(replica, "/col8173/col8174/202511/t20251101_999.html")
    assert page.status == 404
    assert "页面不存在" in page.text()
    assert "\x00" not in page.text()  # the footer clock is filled, as on every other page
    assert re.search(r"当前时间：\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", page.text())
    assert fetch(replica, "/no/such/page").status == 404


def test_control_api_rejects_a_bad_day(replica: ReplicaProcess) -> None:
    page = fetch(replica, "/_replica/day", method="POST", headers={"Content-Length": "0"})
    assert page.status == 400
    assert replica.day()["day"] == 1


# --- determinism


def test_same_options_serve_the_same_bytes_except_volatile_parts(
    replica: ReplicaProcess, replica_factory, truth: dict
) -> None:
    twin = replica_factory()
    assert twin.truth() == truth
    paths = [LIST, f"{LIST}index_2.html", "/", "/col8173/"]
    paths += [local_path(served_url(a)) for a in truth["articles"]]
    for path in paths:
        first, second = fetch(replica, path), fetch(twin, path)
        assert first.status == second.status == 200, path
        assert masked(first.body) == masked(second.body), path


def test_volatile_parts_change_on_every_request_but_not_the_etag(
    replica: ReplicaProcess, truth: dict
) -> None:
    article = next(a for a in truth["articles"] if a["template"] == "news")
    path = local_path(article["url"])
    first, second = fetch(replica, path), fetch(replica, path)
    assert first.body != second.body
    assert masked(first.body) == masked(second.body)
    assert first.headers["ETag"] == second.headers["ETag"]
    views = [int(re.search(rb'id="views">(\d+)<', p.body).group(1)) for p in (first, second)]
    assert views[1] > views[0]


# --- the list


def test_pagination_matches_the_script_and_ends_with_a_404(
    replica: ReplicaProcess, truth: dict
) -> None:
    total, current = page_count(fetch(replica, LIST).text())
    assert (total, current) == (truth["list_pages"], 0) == (3, 0)
    sizes = []
    for page in range(total):
        html = fetch(replica, list_path(page)).text()
        assert page_count(html) == (total, page)
        sizes.append(len(list_items(html)))
    assert sizes[:-1] == [20] * (total - 1) and 0 < sizes[-1] < 20
    assert fetch(replica, f"{LIST}index_{total}.html").status == 404
    index, directory = fetch(replica, f"{LIST}index.html"), fetch(replica, LIST)
    assert masked(index.body) == masked(directory.body)


def test_list_holds_listed_articles_newest_first_plus_two_non_articles(
    replica: ReplicaProcess, truth: dict
) -> None:
    items = whole_list(replica)
    by_url = {a["url"]: a for a in truth["articles"]}
    articles = [i for i in items if i["url"] in by_url]
    others = [i for i in items if i["url"] not in by_url]
    assert sorted(i["url"] for i in articles) == sorted(a["url"] for a in truth["articles"])
    assert any(i["url"].startswith("http://www.baoji.gov.cn/site/") for i in others)
    assert any(i["url"].endswith(".pdf") for i in others)
    assert len(others) == 2
    times = [(by_url[i["url"]]["published_at"], int(by_url[i["url"]]["doc_id"])) for i in articles]
    assert times == sorted(times, reverse=True)
    for item in articles:
        article = by_url[item["url"]]
        assert item["title"] == article["title"]
        assert item["date"] == article["published_at"][:10]
        shown = article["title"] if len(article["title"]) <= 28 else article["title"][:28] + "…"
        assert item["text"] == shown


def test_list_hrefs_mix_relative_root_and_absolute_on_the_real_host(
    replica: ReplicaProcess,
) -> None:
    hrefs = [item["href"] for item in whole_list(replica)]
    assert any(h.startswith("./") for h in hrefs)
    assert any(h.startswith("/col8173/col8174/") for h in hrefs)
    assert any(h.startswith(ORIGIN + "/") for h in hrefs)
    assert not any("127.0.0.1" in h for h in hrefs)
    assert any(h.startswith("/col14317/") for h in hrefs)  # the 信息公开 article
    assert any(h.startswith("/art/") for h in hrefs)  # the legacy article


@pytest.mark.parametrize("template", ["B", "datastore"])
def test_other_list_templates_carry_the_same_items(
    replica: ReplicaProcess, replica_factory, template: str
) -> None:
    other = replica_factory(template=template)
    html = fetch(other, LIST).text()
    if template == "B":
        assert "createPage(3, 0," in html and '<div class="default_pgContainer">' in html
        assert re.search(r"<b>\[\d{4}-\d{2}-\d{2}\]</b>", html)
    else:
        assert "<datastore>" in html and "createPageHTML(3, 0," in html
    assert whole_list(other) == whole_list(replica)


# --- truth against pages


def test_every_truth_article_is_served_as_the_truth_says(
    replica: ReplicaProcess, truth: dict
) -> None:
    assert len(truth["articles"]) == 47
    for article in truth["articles"]:
        assert article["state"] == "live" and article["version"] == 1
        assert_page_matches(replica, article)


def test_day_one_covers_every_markup_variant(replica: ReplicaProcess, truth: dict) -> None:
    articles = truth["articles"]
    assert [a["source"] for a in articles].count("") == 1
    assert {a["template"] for a in articles} == {"news", "xxgk", "legacy"}
    assert any(a["images"] for a in articles) and any(a["attachments"] for a in articles)
    assert any(a["links"] for a in articles)
    assert any(len(a["title"]) > 28 for a in articles)
    assert any(a["published_at"][17:19] != "00" for a in articles)
    lines = b"".join(
        fetch(replica, local_path(a["url"])).body for a in articles if a["encoding"] == "utf-8"
    ).decode("utf-8")
    for variant in ("发布时间：20", "发布时间: 20", "发布时间：&nbsp;20", "来源: ", "来源：&nbsp;"):
        assert variant in lines, variant
    assert re.search(r"发布时间：\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}</span>", lines)
    assert re.search(r"发布时间：\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}</span>", lines)
    assert "　　" in lines and "<p>&nbsp;&nbsp;" in lines and "<p>&nbsp;</p>" in lines
    assert "<strong>" in lines and '<p style="text-align:center">图为' in lines
    assert re.search(r'<img src="\./W0\d+\.(jpg|png)\?v=', lines)
    assert 'name="__token"' in lines
    news = [a for a in articles if a["template"] == "news"]
    pages = [fetch(replica, local_path(a["url"])).text(a["encoding"]) for a in news]
    without_meta = [p for p in pages if 'name="PubDate"' not in p]
    assert 5 <= len(without_meta) <= 10  # about one in six
    assert all('name="ContentSource"' not in p for p in without_meta)


def test_assets_are_small_valid_files(replica: ReplicaProcess, truth: dict) -> None:
    signatures = {
        "image/jpeg": b"\xff\xd8\xff",
        "image/png": b"\x89PNG",
        "application/pdf": b"%PDF-",
    }
    urls = [u for a in truth["articles"] for u in a["images"]]
    urls += [f["url"] for a in truth["articles"] for f in a["attachments"]]
    for url in urls:
        page = fetch(replica, local_path(url))
        assert page.status == 200, url
        content_type = page.headers["Content-Type"]
        if content_type in signatures:
            assert page.body.startswith(signatures[content_type])
    assert any(url.endswith(".pdf") for url in urls)


def test_encodings_and_their_declarations(replica: ReplicaProcess, truth: dict) -> None:
    declared = [a["charset_declared"] for a in truth["articles"]]
    assert declared.count("meta-lies") == 1 and "meta" in declared
    assert 3 <= sum(a["encoding"] == "gbk" for a in truth["articles"]) <= 8
    for article in truth["articles"]:
        page = fetch(replica, local_path(served_url(article)))
        content_type = page.headers["Content-Type"]
        head = page.body[:200]
        if article["charset_declared"] == "header+meta":
            assert content_type == "text/html; charset=utf-8"
        else:
            assert content_type == "text/html"
        if article["encoding"] == "utf-8":
            page.body.decode("utf-8")
            assert b'<meta charset="utf-8">' in head
            continue
        with pytest.raises(UnicodeDecodeError):
            page.body.decode("utf-8")
        assert article["title"] in page.body.decode("gb18030")
        if article["charset_declared"] == "meta-lies":
            assert b'<meta charset="utf-8">' in head
        else:
            assert b'content="text/html; charset=gb2312"' in head


# --- validators


def test_conditional_requests_get_304_until_the_article_changes(replica_factory) -> None:
    site = replica_factory()
    site.set_day(2)
    edited = [c["url"] for c in site.truth()["changes"] if c["day"] == 2 and c["kind"] == "edited"]
    site.set_day(1)
    path = local_path(edited[0])
    page = fetch(site, path)
    etag, last_modified = page.headers["ETag"], page.headers["Last-Modified"]
    assert fetch(site, path, {"If-None-Match": etag}).status == 304
    assert fetch(site, path, {"If-None-Match": '"other"'}).status == 200
    assert fetch(site, path, {"If-Modified-Since": last_modified}).status == 304
    assert fetch(site, path, {"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}).status == 200
    not_modified = fetch(site, path, {"If-None-Match": etag})
    assert not_modified.body == b"" and not_modified.headers["ETag"] == etag
    list_etag = fetch(site, LIST).headers["ETag"]
    assert fetch(site, LIST, {"If-None-Match": list_etag}).status == 304
    site.set_day(2)
    after = fetch(site, path, {"If-None-Match": etag})
    assert after.status == 200 and after.headers["ETag"] != etag
    assert fetch(site, path, {"If-Modified-Since": last_modified}).status == 200
    assert fetch(site, LIST, {"If-None-Match": list_etag}).status == 200


# --- the timeline


def changes_on(truth: dict, day: int) -> list[dict]:
    return [c for c in truth["changes"] if c["day"] == day]


def test_day_two_has_exactly_the_required_events(timeline_replica: ReplicaProcess) -> None:
    timeline_replica.set_day(1)
    before = {a["url"]: a for a in timeline_replica.truth()["articles"]}
    timeline_replica.set_day(2)
    after_truth = timeline_replica.truth()
    after = {a["url"]: a for a in after_truth["articles"]}
    events = changes_on(after_truth, 2)
    kinds = sorted((c["kind"], c["edit"] or "") for c in events)
    assert kinds == sorted(
        [("published", "")] * 3
        + [("edited", e) for e in ("title_corrected", "paragraph_added", "char_fixed")]
        + [("edited", "source_changed"), ("deleted", ""), ("soft_404", "")]
    )
    listed = {item["url"] for item in whole_list(timeline_replica)}
    for change in events:
        old, new = before.get(change["url"]), after[change["url"]]
        if change["kind"] == "published":
            assert old is None and new["listed"] and change["url"] in listed
            assert new["published_at"].startswith("2025-12-02")
            continue
        assert old["version"] == 1 and old["listed"]
        if change["kind"] == "edited":
            assert new["version"] == 2 and new["listed"] and change["url"] in listed
            assert_edit(change["edit"], old, new)
            assert_page_matches(timeline_replica, new)
        else:
            assert change["url"] not in listed and not new["listed"]
            page = fetch(timeline_replica, local_path(change["url"]))
            assert page.status == (404 if change["kind"] == "deleted" else 200)
            assert "页面不存在" in page.text()


def assert_edit(edit: str, old: dict, new: dict) -> None:
    """Each edit changes exactly its field, as the truth's classes say."""
    fields = ("title", "source", "published_at", "body", "images", "attachments", "links")
    changed = {f for f in fields if old[f] != new[f]}
    expected = {
        "title_corrected": {"title"},
        "paragraph_added": {"body"},
        "paragraph_removed": {"body"},
        "char_fixed": {"body"},
        "cosmetic": {"body"},
        "published_at_corrected": {"published_at"},
        "source_changed": {"source"},
        "image_replaced": {"images"},
        "attachment_replaced": {"attachments"},
        "link_changed": {"links"},
    }[edit]
    assert changed == expected, (edit, changed)
    if edit in ("title_corrected", "char_fixed", "cosmetic"):
        field = "title" if edit == "title_corrected" else "body"
        assert len(old[field]) == len(new[field])
        differing = [(a, b) for a, b in zip(old[field], new[field], strict=True) if a != b]
        assert len(differing) == 1
        if edit == "cosmetic":
            assert differing == [(",", "，")]
    if edit == "paragraph_added":
        assert new["body"].startswith(old["body"] + "\n")
    if edit == "paragraph_removed":
        assert len(new["body"].split("\n")) == len(old["body"].split("\n")) - 1
    if edit == "published_at_corrected":
        assert old["published_at"][:10] == new["published_at"][:10]


def test_the_title_correction_reaches_every_place_the_title_shows(
    timeline_replica: ReplicaProcess,
) -> None:
    timeline_replica.set_day(2)
    truth = timeline_replica.truth()
    url = next(c["url"] for c in changes_on(truth, 2) if c["edit"] == "title_corrected")
    title = next(a["title"] for a in truth["articles"] if a["url"] == url)
    html = fetch(timeline_replica, local_path(url)).text()
    found = extract(html, url)
    assert found["title"] == found["meta"]["ArticleTitle"] == title
    assert found["html_title"].startswith(title + "_")
    assert [i["title"] for i in whole_list(timeline_replica) if i["url"] == url] == [title]


def test_every_day_serves_what_the_truth_says(timeline_replica: ReplicaProcess) -> None:
    """Each article touched by the timeline answers with its truth status on every day."""
    timeline_replica.set_day(30)
    final = timeline_replica.truth()
    touched = {c["url"] for c in final["changes"] if c["kind"] != "published"}
    seen_states = set()
    for day in range(1, 31):
        timeline_replica.set_day(day)
        truth = timeline_replica.truth()
        listed = {item["url"] for item in whole_list(timeline_replica)}
        for article in truth["articles"]:
            if article["url"] not in touched:
                continue
            seen_states.add(article["state"])
            assert_served_state(timeline_replica, article)
            assert article["listed"] == (served_url(article) in listed), (day, article["url"])
    assert seen_states == {
        "live",
        "not_found",
        "gone_410",
        "soft_404",
        "unlisted",
        "moved",
        "challenge",
        "truncated",
        "server_error",
        "redirect_home",
    }


def assert_served_state(replica: ReplicaProcess, article: dict) -> None:
    path = local_path(article["url"])
    if article["state"] == "truncated":
        with pytest.raises(http.client.IncompleteRead):
            fetch(replica, path)
        return
    page = fetch(replica, path)
    assert page.status == article["status"], (article["state"], article["url"])
    if article["state"] == "moved":
        assert page.headers["Location"] == replica.base_url + local_path(article["moved_to"])
        assert_page_matches(replica, article)
    elif article["state"] == "challenge":
        assert len(page.body) < 400 and b"<script>" in page.body and b"Zoom" not in page.body
    elif article["state"] == "redirect_home":
        assert page.headers["Location"] == replica.base_url + "/"
    elif article["state"] in ("live", "unlisted"):
        assert_page_matches(replica, article)


def test_days_three_to_thirty_cover_every_event_and_edit_class(
    timeline_replica: ReplicaProcess,
) -> None:
    timeline_replica.set_day(30)
    truth = timeline_replica.truth()
    later = [c for c in truth["changes"] if c["day"] >= 3]
    assert {c["edit"] for c in later if c["edit"]} == {
        "title_corrected",
        "paragraph_added",
        "paragraph_removed",
        "char_fixed",
        "published_at_corrected",
        "source_changed",
        "image_replaced",
        "attachment_replaced",
        "link_changed",
        "cosmetic",
    }
    kinds = {c["kind"] for c in later}
    assert kinds >= {
        "deleted",
        "deleted_410",
        "soft_404",
        "restored",
        "unlisted",
        "relisted",
        "moved",
        "challenge",
        "truncated",
        "server_error",
        "redirect_home",
        "edited",
        "published",
    }
    published = {c["url"]: c["day"] for c in truth["changes"] if c["kind"] == "published"}
    assert any(c["day"] - published[c["url"]] == 20 for c in later if c["kind"] == "edited")
    # the comeback: deleted, then restored after several days
    deleted = {c["url"]: c["day"] for c in later if c["kind"] == "deleted"}
    assert any(c["kind"] == "restored" and c["day"] - deleted.get(c["url"], 99) >= 3 for c in later)
    for article in truth["articles"]:
        assert article["version"] == 1 + sum(
            c["kind"] == "edited" and c["url"] == article["url"] for c in truth["changes"]
        )


def test_each_scripted_edit_changes_only_its_class(timeline_replica: ReplicaProcess) -> None:
    truths = {}
    for change in timeline_replica_changes(timeline_replica):
        day = change["day"]
        for needed in (day - 1, day):
            if needed not in truths:
                timeline_replica.set_day(needed)
                truths[needed] = {a["url"]: a for a in timeline_replica.truth()["articles"]}
        assert_edit(change["edit"], truths[day - 1][change["url"]], truths[day][change["url"]])


def timeline_replica_changes(replica: ReplicaProcess) -> list[dict]:
    replica.set_day(30)
    return [c for c in replica.truth()["changes"] if c["kind"] == "edited"]


def test_day_thirty_pages_match_the_truth(timeline_replica: ReplicaProcess) -> None:
    timeline_replica.set_day(30)
    truth = timeline_replica.truth()
    assert truth["date"] == "2025-12-30"
    for article in truth["articles"]:
        if article["status"] == 200 and article["state"] in ("live", "unlisted"):
            assert_page_matches(timeline_replica, article)
    total, _ = page_count(fetch(timeline_replica, LIST).text())
    assert total == truth["list_pages"]


def test_edit_rate_adds_recorded_edits_that_pages_show(replica_factory) -> None:
    site = replica_factory(edit_rate=0.1, days=4, day=4)
    truth = site.truth()
    for day in (3, 4):
        scripted = 1  # one scripted edit on each of days 3 and 4
        edits = [c for c in changes_on(truth, day) if c["kind"] == "edited"]
        assert len(edits) > scripted
        assert {c["edit"] for c in edits[scripted:]} <= {"paragraph_added", "char_fixed"}
    for article in truth["articles"]:
        if article["version"] > 1 and article["state"] == "live":
            assert_page_matches(site, article)


def test_edit_models_put_the_extra_edits_on_articles_of_every_age_or_the_newest(
    replica_factory,
) -> None:
    """uniform: the extra edits fall on articles of any age; decaying: mostly on those published
    in the last days (the weight halves every --edit-half-life days)."""
    ages = {}
    for model in ("uniform", "decaying"):
        site = replica_factory(articles=400, edit_rate=0.01, days=10, day=10, edit_model=model)
        truth = site.truth()
        published = {
            a["url"]: date.fromisoformat(a["published_at"][:10]) for a in truth["articles"]
        }
        ages[model] = sorted(
            (date(2025, 12, c["day"]) - published[c["url"]]).days
            for c in truth["changes"]
            if c["kind"] == "edited" and c["edit"] in ("paragraph_added", "char_fixed")
        )
        assert len(ages[model]) >= 30
    median = {model: found[len(found) // 2] for model, found in ages.items()}
    assert median["decaying"] <= 7 < 60 <= median["uniform"]
    assert min(ages["decaying"]) >= 1  # an edit comes after its article's first crawl


def test_a_bad_edit_half_life_is_refused() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.replica", "--edit-half-life", "0", "--print-scenario"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert done.returncode == 2 and "--edit-half-life must be above 0" in done.stderr


# --- variants


def test_legacy_redirect_sends_the_old_url_to_the_same_article(
    replica: ReplicaProcess, replica_factory, truth: dict
) -> None:
    legacy = next(a for a in truth["articles"] if a["template"] == "legacy")
    redirecting = replica_factory(legacy="redirect")
    moved = next(a for a in redirecting.truth()["articles"] if a["url"] == legacy["url"])
    assert moved["state"] == "moved" and moved["status"] == 301 and moved["template"] == "xxgk"
    page = fetch(redirecting, local_path(legacy["url"]))
    assert page.status == 301
    assert page.headers["Location"].endswith(f"_{legacy['doc_id']}.html")
    for field in ("title", "body", "published_at", "source"):
        assert moved[field] == legacy[field]
    assert_page_matches(redirecting, moved)


def test_robots_permissive_and_strict(replica: ReplicaProcess, replica_factory) -> None:
    permissive = fetch(replica, "/robots.txt").text()
    assert permissive.splitlines() == ["User-agent: *", "Disallow: /_replica/", "Disallow:"]
    strict_site = replica_factory(robots="strict")
    strict = fetch(strict_site, "/robots.txt").text()
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(strict.splitlines())
    truth = strict_site.truth()
    blocked = [a for a in truth["articles"] if a["robots_disallowed"]]
    assert blocked and all(a["listed"] for a in blocked)
    for article in truth["articles"]:
        allowed = parser.can_fetch("newsarchive", article["url"])
        assert allowed != article["robots_disallowed"], article["url"]
    assert not any(a["robots_disallowed"] for a in replica.truth()["articles"])


def test_stats_count_requests_by_kind_status_and_bytes(replica_factory) -> None:
    site = replica_factory()
    article = site.truth()["articles"][0]
    site.reset_stats()
    bodies = [
        fetch(site, path).body for path in (LIST, local_path(article["url"]), "/js/common.js")
    ]
    fetch(site, "/missing")
    stats = site.stats()
    assert stats["total"] == 4
    assert stats["by_kind"] == {"list": 1, "article": 1, "asset": 1, "other": 1}
    assert stats["by_status"] == {"200": 3, "404": 1}
    assert stats["bytes_sent"] > sum(len(b) for b in bodies)
    assert site.reset_stats()["total"] == 0


def test_twenty_thousand_articles_start_fast_and_paginate(replica_factory) -> None:
    big = replica_factory(articles=20000)
    first = fetch(big, LIST)
    assert first.status == 200 and page_count(first.text()) == (1001, 0)
    assert len(list_items(first.text())) == 20
    assert fetch(big, f"{LIST}index_1000.html").status == 200
    assert fetch(big, f"{LIST}index_1001.html").status == 404
    ids = [
        int(re.search(r"_(\d+)\.html", i["href"]).group(1))
        for i in list_items(fetch(big, f"{LIST}index_999.html").text())
    ]
    assert all(141000 <= i < 1230000 for i in ids)  # old articles carry the old id range


def test_truth_document_shape(truth: dict) -> None:
    assert set(truth) == {
        "day",
        "date",
        "canonical_origin",
        "list_path",
        "list_pages",
        "template",
        "articles",
        "changes",
        "mirrors",
        "duplicates",
        "traps",
        "invalid",
        "hostile",
        "files",
        "faulted",
    }
    assert truth["canonical_origin"] == ORIGIN and truth["list_path"] == LIST
    for article in truth["articles"]:
        assert article["url"] == ORIGIN + article["path"]
        assert re.search(rf"_{article['doc_id']}\.html$", article["path"])
        datetime.fromisoformat(article["published_at"])
    doc_ids = [a["doc_id"] for a in truth["articles"]]
    assert len(set(doc_ids)) == len(doc_ids)
    assert json.loads(json.dumps(truth)) == truth


# --- the extended site: --mirror, --duplicates, --invalid

TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
ANNOTATION = re.compile(rf"(.)\(([a-zü{TONED}]+)\)")
MIRROR_BREADCRUMB = "首頁(yè) > 新聞中心 > 陳倉(cāng)要聞 |"
MIRROR_RANKS = {0, 1, 2, 3, 15, 19}
# Lines of the real damaged copy in tests/data/seed/ (docs/site.md §6): the tables must agree with them.
SEED_EXCERPT = (
    "馬霄代表區(qū)委、區(qū)政府向三年來(lái)參與、支持疫情防控工作的全區(qū)廣大醫(yī)務(wù)工作者、志愿者、"
    "機(jī)關(guān)事業(yè)單位干部、熱心群眾等致以崇高的敬意和誠(chéng)摯的感謝。\n"
    "馬霄強(qiáng)調(diào),要補(bǔ)齊短板、落實(shí)責(zé)任,夯實(shí)疫情防控基層基礎(chǔ)。要時(shí)刻提高警惕,"
    "強(qiáng)化預(yù)警監(jiān)測(cè),搶抓下一輪疫情到來(lái)之前的窗口期。\n"
    "區(qū)政府副區(qū)長(zhǎng)齊曉輝通報(bào)了全區(qū)疫情防控形勢(shì),安排部署了全區(qū)當(dāng)前疫情防控重點(diǎn)工作。"
)
TRAP_MARKS = ("#content", "?utm_source=wechat&utm_medium=share", "?from=timeline", "./../col8174/")
BOILERPLATE = ["【字号：大 中 小】", "打印本页", "关闭窗口", ""]


@pytest.fixture(scope="module")
def extended(replica_factory) -> ReplicaProcess:
    """The default site with every addition on (day 1; never switch its day)."""
    return replica_factory(mirror=True, duplicates=True, invalid=True)


@pytest.fixture(scope="module")
def extended_truth(extended: ReplicaProcess) -> dict:
    return extended.truth()


def strip_annotations(line: str) -> str:
    return ANNOTATION.sub(r"\1", line)


def simplified(line: str) -> str:
    return "".join(SIMPLIFIED.get(c, c) for c in line)


def restored(line: str) -> str:
    return simplified(strip_annotations(line))


def ascii_punctuation(text: str) -> str:
    return text.replace("，", ",").replace("：", ":")


def canonical_url(url: str) -> str:
    """Scheme, lower-case host without :80, path: what a crawler keeps of an article link."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port not in (None, 80) else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"


def mirror_text(html: str) -> tuple[str | None, list[str]]:
    """The copy's <h1> (None when dropped) and its <p> lines."""
    page = Selector(text=html)
    lines = [node_text(p) for p in page.css("div.article > p")]
    return page.css("div.article > h1::text").get(), lines


def test_hanzi_tables_cover_every_character_and_agree_with_the_seed() -> None:
    furniture = "首页新闻中心陈仓要闻来源发布时间"
    chars = {c for s in [*vocabulary.all_strings(), furniture] for c in s if "一" <= c <= "鿿"}
    groups = (set(TRADITIONAL), KEPT, IDENTICAL)
    for char in chars:
        assert sum(char in group for group in groups) == 1, char
    assert set("后于里系干面") <= KEPT and not set(TRADITIONAL) & (KEPT | IDENTICAL)
    assert len(SIMPLIFIED) == len(TRADITIONAL)  # one traditional form per character: invertible
    assert set(READINGS) == set(TRADITIONAL.values())  # every converted character has a reading
    for char, reading in READINGS.items():
        assert len(char.encode("gbk")) == 2
        assert re.fullmatch(rf"[a-zü{TONED}]+", reading), (char, reading)
        assert sum(c in TONED for c in reading) == 1, (char, reading)
    known = [m for m in ANNOTATION.finditer(SEED_EXCERPT) if m.group(1) in READINGS]
    assert len(known) > 25 and all(READINGS[m.group(1)] == m.group(2) for m in known)
    seed_text = strip_annotations(SEED_EXCERPT)
    assert not set(seed_text) & set(TRADITIONAL)  # the seed converted whatever the table does


def test_the_mirror_host_is_announced_and_serves_only_copies(
    replica: ReplicaProcess, extended: ReplicaProcess, extended_truth: dict
) -> None:
    assert replica.mirror_url is None
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", extended.mirror_url or "")
    assert extended.mirror_url != extended.base_url
    mirrored = {m["path"] for m in extended_truth["mirrors"]}
    others = [a["path"] for a in extended_truth["articles"] if a["path"] not in mirrored]
    for path in ["/", LIST, "/robots.txt", others[0], others[-1]]:
        assert fetch_from(extended.mirror_url, path).status == 404, path
    entry = extended_truth["mirrors"][0]
    assert entry["url"] == extended.mirror_url + entry["path"]
    assert entry["original_url"] == ORIGIN + entry["path"]


def test_mirror_copies_cover_the_documented_roles(extended_truth: dict) -> None:
    mirrors = extended_truth["mirrors"]
    rank = {a["url"]: i for i, a in enumerate(extended_truth["articles"])}
    mirrored = {rank[m["original_url"]] for m in mirrors}
    live_news = [
        i
        for i, a in enumerate(extended_truth["articles"])
        if a["template"] == "news" and a["state"] == "live"
    ]
    assert mirrored == {i for i in live_news if i % 3 == 0 or i in MIRROR_RANKS}
    assert mirrored >= MIRROR_RANKS
    assert len(live_news) / 4 < len(mirrors) < len(live_news) / 2
    for entry in mirrors:
        assert entry["title_dropped"] == (rank[entry["original_url"]] % 2 == 0)
    assert {(m["title_dropped"], m["mojibake"]) for m in mirrors} == {
        (True, True),
        (True, False),
        (False, True),
        (False, False),
    }


def test_mirror_copies_are_damaged_exactly_as_the_truth_says(
    extended: ReplicaProcess, extended_truth: dict
) -> None:
    articles = {a["url"]: a for a in extended_truth["articles"]}
    for entry in extended_truth["mirrors"]:
        page = fetch_from(extended.mirror_url, entry["path"])
        assert page.status == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
        title, lines = mirror_text(page.text())
        original = articles[entry["original_url"]]
        assert entry["original_body"] == original["body"]
        assert (title is None) == entry["title_dropped"]
        assert_annotations(entry, [title or "", *lines])
        assert lines[0] == MIRROR_BREADCRUMB
        if title is not None:
            assert restored(title) == ascii_punctuation(original["title"])
            when = original["published_at"][:16].replace("T", " ")
            assert restored(lines[1]) == f"来源:{original['source']} 发布时间:{when}"
        body = lines[1 if title is None else 2 :]
        expected = ascii_punctuation(original["body"]).split("\n")
        assert len(body) == len(expected)
        if entry["mojibake"]:
            assert_mojibake_repairs(body, expected, entry["mojibake_run"])
        else:
            assert entry["mojibake_run"] is None
            assert [restored(line) for line in body] == expected


def assert_annotations(entry: dict, lines: list[str]) -> None:
    """The count, a reading after every converted character only, and per character type: a
    character the page annotates is annotated wherever it occurs."""
    text = "\n".join(lines)
    found = list(ANNOTATION.finditer(text))
    assert len(found) == entry["annotations"], entry["path"]
    assert all(READINGS[m.group(1)] == m.group(2) for m in found)  # KeyError: not converted
    assert "，" not in text and "：" not in text
    if entry["mojibake"]:
        text = text.replace("?" + entry["mojibake_run"], "")
    annotated = {m.group(1) for m in found}
    bare = {c for c in ANNOTATION.sub("", text) if c in READINGS}
    assert not annotated & bare, entry["path"]
    assert 0.3 <= len(annotated) / len(annotated | bare) <= 0.65


def assert_mojibake_repairs(body: list[str], expected: list[str], run: str) -> None:
    """One run after one "?": run.encode("gbk")[1:].decode("gbk") gives back every character
    but the one the "?" replaced; the run re-synchronises on its only ASCII character."""
    assert sum(line.count("?") for line in body) == 1
    (index,) = [i for i, line in enumerate(body) if "?" + run in line]
    assert run[-1].isascii() and sum(c.isascii() for c in run) == 1
    for number, (line, wanted) in enumerate(zip(body, expected, strict=True)):
        if number != index:
            assert restored(line) == wanted
    repaired = run.encode("gbk")[1:].decode("gbk")
    line = restored(body[index].replace("?" + run, "?" + repaired))
    assert len(line) == len(expected[index])
    lost = [(a, b) for a, b in zip(line, expected[index], strict=True) if a != b]
    assert len(lost) == 1 and lost[0][0] == "?" and len(lost[0][1].encode("gbk")) == 2


def test_mirror_copies_follow_the_day(replica_factory) -> None:
    site = replica_factory(mirror=True, day=2, days=3)
    truth = site.truth()
    by_rank = truth["articles"]
    mirrored = {m["path"]: m for m in truth["mirrors"]}
    assert by_rank[12]["state"] == "soft_404" and by_rank[12]["path"] not in mirrored
    assert fetch_from(site.mirror_url or "", by_rank[12]["path"]).status == 404
    edited = by_rank[3]
    assert edited["version"] == 2 and mirrored[edited["path"]]["original_body"] == edited["body"]


def test_duplicates_are_served_and_listed(extended: ReplicaProcess, extended_truth: dict) -> None:
    items = [canonical_url(i["url"]) for i in whole_list(extended)]
    articles = {a["url"]: a for a in extended_truth["articles"]}
    duplicates = {d["kind"]: d for d in extended_truth["duplicates"]}
    assert set(duplicates) == {"two_columns", "legacy_url", "re_edited"}
    for kind, duplicate in duplicates.items():
        original_url, copy_url = duplicate["urls"]
        assert original_url in articles and copy_url not in articles
        assert original_url in items and copy_url in items
        assert doc_id_of(original_url) != doc_id_of(copy_url)
        page = fetch(extended, local_path(copy_url))
        assert page.status == 200
        found = extract(page.text(), copy_url)
        for field in ("title", "source", "published_at", "body"):
            assert found[field] == duplicate[field], (kind, field)
        original = articles[original_url]
        if kind == "re_edited":
            assert_re_edited(original, duplicate)
            continue
        assert abs(items.index(copy_url) - items.index(original_url)) == 1  # next to it
        for field in ("title", "source", "published_at", "body"):
            assert duplicate[field] == original[field], (kind, field)
    two_columns = local_path(duplicates["two_columns"]["urls"][1])
    day = duplicates["two_columns"]["published_at"][:10].replace("-", "")
    assert re.fullmatch(
        rf"/col14317/col14320/col14328/col14329/{day[:6]}/t{day}_\d+\.html", two_columns
    )
    published = datetime.fromisoformat(duplicates["legacy_url"]["published_at"])
    legacy = f"/art/{published.year}/{published.month}/{published.day}/art_14329_"
    assert local_path(duplicates["legacy_url"]["urls"][1]).startswith(legacy)


def doc_id_of(url: str) -> str:
    return re.search(r"_(\d+)\.html$", url).group(1)


def sentences(line: str) -> list[str]:
    return re.findall(r".+?。(?!”)|.+$", line)


def assert_re_edited(original: dict, copy: dict) -> None:
    """Days later, a new 陈仓要闻 URL, the title lightly changed, one sentence changed and one
    paragraph added."""
    when = datetime.fromisoformat(copy["published_at"])
    assert when - datetime.fromisoformat(original["published_at"]) >= timedelta(days=2)
    path = local_path(copy["urls"][1])
    assert re.fullmatch(rf"{LIST}{when:%Y%m}/t{when:%Y%m%d}_\d+\.html", path)
    assert copy["title"] != original["title"]
    assert difflib.SequenceMatcher(None, copy["title"], original["title"]).ratio() > 0.8
    old, new = original["body"].split("\n"), copy["body"].split("\n")
    assert len(new) == len(old) + 1 and new[-1] not in old
    (changed,) = [i for i, line in enumerate(old) if new[i] != line]
    before, after = sentences(old[changed]), sentences(new[changed])
    assert len(before) == len(after)
    assert sum(a != b for a, b in zip(before, after, strict=True)) == 1


def test_traps_resolve_to_their_articles(extended: ReplicaProcess, extended_truth: dict) -> None:
    by_href = {item["href"]: item for item in whole_list(extended)}
    articles = {a["url"]: a for a in extended_truth["articles"]}
    traps = extended_truth["traps"]
    for mark in (*TRAP_MARKS, "http://WWW.CHENCANG.GOV.CN/", "http://www.chencang.gov.cn:80/"):
        assert any(mark in trap["href"] for trap in traps), mark
    for trap in traps:
        if trap["where"] == "home":
            continue
        item = by_href[trap["href"]]  # written exactly so in the list
        assert canonical_url(item["url"]) == trap["url"]
        target = urlsplit(item["url"])
        page = fetch(extended, target.path + (f"?{target.query}" if target.query else ""))
        article = articles[trap["url"]]
        assert page.status == 200
        assert extract(page.text(article["encoding"]), trap["url"])["title"] == article["title"]
    (home,) = [trap for trap in traps if trap["where"] == "home"]
    assert home["href"] in Selector(text=fetch(extended, "/").text()).css("a::attr(href)").getall()
    assert canonical_url(urljoin(ORIGIN + "/", home["href"])) != home["url"]  # index.html
    index, directory = (
        fetch(extended, local_path(urljoin(ORIGIN, home["href"]))),
        fetch(extended, LIST),
    )
    assert index.status == 200 and masked(index.body) == masked(directory.body)


def test_invalid_articles_are_listed_and_served_as_described(
    extended: ReplicaProcess, extended_truth: dict
) -> None:
    items = {canonical_url(i["url"]): i for i in whole_list(extended)}
    invalid = {entry["reason"]: entry for entry in extended_truth["invalid"]}
    assert set(invalid) == {"date_too_old", "date_in_future", "boilerplate_body"}
    assert not {e["url"] for e in invalid.values()} & {a["url"] for a in extended_truth["articles"]}
    pages = {}
    for reason, entry in invalid.items():
        assert items[entry["url"]]["date"] == entry["published_at"][:10]
        page = fetch(extended, local_path(entry["url"]))
        assert page.status == 200
        pages[reason] = page.text()
        found = extract(pages[reason], entry["url"])
        assert found["title"] == entry["title"] and found["published_at"] == entry["published_at"]
        assert parse_time(found["meta"]["PubDate"]) == entry["published_at"]
    assert invalid["date_too_old"]["published_at"] == "1970-01-01T08:00:00+08:00"
    assert "发布时间：1970-01-01 08:00" in pages["date_too_old"]
    future = date.fromisoformat(invalid["date_in_future"]["published_at"][:10])
    assert future == date.fromisoformat(extended_truth["date"]) + timedelta(days=3)
    zoom = Selector(text=pages["boilerplate_body"]).css("#Zoom .trs_editor_view > p")
    assert [clean(node_text(p)) for p in zoom] == BOILERPLATE


def test_options_off_add_nothing_and_on_keep_the_default_list_order(
    replica: ReplicaProcess, truth: dict, extended: ReplicaProcess, extended_truth: dict
) -> None:
    assert truth["mirrors"] == truth["duplicates"] == truth["traps"] == truth["invalid"] == []
    default = [canonical_url(i["url"]) for i in whole_list(replica)]
    assert not any("#" in i["href"] or "?" in i["href"] for i in whole_list(replica))
    assert "index.html" not in fetch(replica, "/").text()
    added = {d["urls"][1] for d in extended_truth["duplicates"]}
    added |= {e["url"] for e in extended_truth["invalid"]}
    extended_items = [canonical_url(i["url"]) for i in whole_list(extended)]
    assert len(extended_items) == len(default) + len(added)
    assert [url for url in extended_items if url not in added] == default
    for key in ("articles", "changes", "list_pages"):
        assert extended_truth[key] == truth[key], key


# --- fault modes (--faults, --block, /_replica/faults)

FAULT_TIMEOUT = 1.0  # --fault-timeout of the fault tests' sites
SLOW_DELAY = 1.5
FAST_KINDS = [k for k in KINDS if k not in ("timeout", "slow")]


@pytest.fixture(scope="module")
def faulty(replica_factory) -> ReplicaProcess:
    """A small site whose faults the tests below configure at runtime (always set them)."""
    return replica_factory(articles=40, days=3, fault_timeout=FAULT_TIMEOUT)


def site_pages(truth: dict) -> list[str]:
    """Every faultable page by the truth: list pages, article paths (and where they moved)."""
    found = [list_path(page) for page in range(truth["list_pages"])]
    for article in truth["articles"]:
        found.append(article["path"])
        if article["moved_to"]:
            found.append(local_path(article["moved_to"]))
    return found


def raw_request(site: ReplicaProcess, path: str) -> socket.socket:
    """A connection that has sent GET path (for faults that send no HTTP response at all)."""
    parts = urlsplit(site.base_url)
    connection = socket.create_connection((parts.hostname, parts.port), timeout=30)
    connection.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
    return connection


def fault_targets(truth: dict, kind: str) -> list[dict]:
    """An article failing twice (once for the slow kinds: fewer seconds), and for the fast kinds
    the first list page too."""
    faulted = truth["faulted"]
    failures = 2 if kind != "slow" else 1
    article = next(e for e in faulted if e["path"].endswith(".html") and e["failures"] == failures)
    listing = [e for e in faulted if e["path"] == LIST]
    return [article, *listing] if kind in FAST_KINDS else [article]


def assert_faulted(site: ReplicaProcess, kind: str, path: str, reference: Page) -> None:
    """One failed attempt of the kind at path (reference: the page as served without faults)."""
    if kind == "timeout":
        started = time.monotonic()
        with closing(raw_request(site, path)) as connection:
            assert connection.recv(65536) == b""  # nothing at all, then the close
        assert FAULT_TIMEOUT - 0.05 <= time.monotonic() - started < FAULT_TIMEOUT + 5
        return
    if kind == "reset":
        with closing(raw_request(site, path)) as connection, pytest.raises(ConnectionResetError):
            connection.recv(65536)
        return
    if kind == "truncated":
        parts = urlsplit(site.base_url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        with closing(connection):
            connection.request("GET", path, headers={"If-None-Match": reference.headers["ETag"]})
            response = connection.getresponse()  # validators are ignored: the body is promised
            assert response.status == 200
            promised = int(response.headers["Content-Length"])
            with pytest.raises(http.client.IncompleteRead) as caught:
                response.read()
        assert len(caught.value.partial) == promised // 2
        assert caught.value.partial[:300] == reference.body[:300]
        return
    started = time.monotonic()
    page = fetch(site, path)
    elapsed = time.monotonic() - started
    if kind == "slow":
        assert elapsed >= SLOW_DELAY - 0.05
        assert page.status == 200 and masked(page.body) == masked(reference.body)
    elif kind.startswith("error_"):
        assert page.status == int(kind.removeprefix("error_"))
        assert masked(page.body) == masked(pages.SERVER_ERROR_PAGE.encode())
        assert "服务器错误" in page.text()
    elif kind == "too_many_requests":
        assert page.status == 429 and page.headers["Retry-After"] == "2"
        assert page.body == pages.TOO_MANY_REQUESTS_PAGE.encode()
    elif kind == "challenge":
        assert page.status == 412 and page.body == pages.CHALLENGE_PAGE.encode()
    else:
        assert kind == "redirect_loop"
        looped = f"{site.base_url}{path}?loop=1"
        assert page.status == 302 and page.headers["Location"] == looped and page.body == b""
        for _ in range(3):  # the loop goes on while the client follows it
            back = fetch(site, f"{path}?loop=1")
            assert back.status == 302 and back.headers["Location"] == site.base_url + path
            again = fetch(site, path)
            assert again.status == 302 and again.headers["Location"] == looped


def test_faults_are_off_by_default(replica: ReplicaProcess, truth: dict, replica_factory) -> None:
    assert replica.faults() == {
        "rate": 0.0,
        "kinds": list(DEFAULT_KINDS),
        "seed": 0,
        "timeout": 5.0,
        "block": False,
        "attempts": {},
    }
    assert "challenge" not in DEFAULT_KINDS and len(DEFAULT_KINDS) == len(KINDS) - 1
    assert truth["faulted"] == []
    faults = replica.stats()["faults"]
    assert faults["by_kind"] == dict.fromkeys(KINDS, 0)
    assert faults["attempts"] == faults["loop_steps"] == faults["blocked"] == 0
    # An explicit rate 0 (whatever the seed) serves what the default serves.
    zero = replica_factory(faults=0, fault_seed=9, fault_kinds="challenge", fault_timeout=1)
    assert zero.truth() == truth
    for path in [LIST, list_path(2), *(a["path"] for a in truth["articles"][:8])]:
        first, second = fetch(replica, path), fetch(zero, path)
        assert first.status == second.status and masked(first.body) == masked(second.body)
        assert first.headers.keys() == second.headers.keys(), path


@pytest.mark.parametrize("kind", KINDS)
def test_each_fault_kind_fails_the_first_attempts_then_serves_the_page(
    faulty: ReplicaProcess, kind: str
) -> None:
    faulty.set_faults(rate=0)
    truth_before = faulty.truth()
    settings = faulty.set_faults(rate=1, kinds=[kind], seed=7, timeout=FAULT_TIMEOUT)
    assert settings == {
        "rate": 1.0,
        "kinds": [kind],
        "seed": 7,
        "timeout": FAULT_TIMEOUT,
        "block": False,
        "attempts": {},
    }
    truth = faulty.truth()
    assert {e["path"] for e in truth["faulted"]} == set(site_pages(truth_before))
    assert {e["kind"] for e in truth["faulted"]} == {kind}
    assert {e["failures"] for e in truth["faulted"]} == {1, 2}
    targets = fault_targets(truth, kind)
    references = {}
    faulty.set_faults(rate=0)
    for target in targets:
        references[target["path"]] = fetch(faulty, target["path"])
        assert references[target["path"]].status == 200
    faulty.set_faults(rate=1, kinds=[kind], seed=7)  # the counters start again
    faulty.reset_stats()
    for target in targets:
        reference = references[target["path"]]
        for _ in range(target["failures"]):
            assert_faulted(faulty, kind, target["path"], reference)
        page = fetch(faulty, target["path"])  # and now the page, as it is without faults
        assert page.status == 200 and masked(page.body) == masked(reference.body)
    counted = {t["path"]: t["failures"] + 1 for t in targets}
    assert faulty.faults()["attempts"] == counted
    stats = faulty.stats()
    failures = sum(t["failures"] for t in targets)
    assert stats["faults"]["by_kind"] == {**dict.fromkeys(KINDS, 0), kind: failures}
    assert stats["faults"]["attempts"] == sum(counted.values())
    silent = failures if kind in ("timeout", "reset") else 0  # no status line was sent
    assert sum(stats["by_status"].values()) == stats["total"] - silent
    loop_steps = 6 * failures if kind == "redirect_loop" else 0
    assert stats["faults"]["loop_steps"] == loop_steps


def test_a_redirect_loop_is_one_failed_attempt_that_a_following_client_gives_up(
    faulty: ReplicaProcess,
) -> None:
    faulty.set_faults(rate=1, kinds=["redirect_loop"], seed=3)
    entry = next(
        e for e in faulty.truth()["faulted"] if e["path"].endswith(".html") and e["failures"] == 2
    )
    path = entry["path"]
    for attempt in (1, 2):  # urllib follows until it sees the loop, then raises
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(faulty.url(path), timeout=30)
        caught.value.close()
        assert caught.value.code == 302
        assert faulty.faults()["attempts"] == {path: attempt}
    assert faulty.stats()["faults"]["loop_steps"] >= 2 * 4
    # A client that stops after a ?loop=1 hop and comes back at once is still in the loop; one
    # that comes back after LOOP_WINDOW seconds makes a new attempt (here the third: the page).
    assert fetch(faulty, f"{path}?loop=1").status == 302
    assert fetch(faulty, path).status == 302
    assert fetch(faulty, f"{path}?loop=1").status == 302
    time.sleep(LOOP_WINDOW + 0.1)
    assert fetch(faulty, path).status == 200
    assert faulty.faults()["attempts"] == {path: 3}
    assert fetch(faulty, f"{path}?loop=1").status == 302  # the hop itself always loops back
    assert fetch(faulty, path).status == 200


def test_faulted_pages_are_seeded_and_the_truth_names_exactly_them(
    faulty: ReplicaProcess, replica_factory
) -> None:
    options = {"faults": 0.4, "fault_seed": 5, "fault_kinds": ["error_503"]}
    started = replica_factory(articles=40, days=3, **options)
    assert started.faults() == {
        "rate": 0.4,
        "kinds": ["error_503"],
        "seed": 5,
        "timeout": 5.0,
        "block": False,
        "attempts": {},
    }
    faulted = started.truth()["faulted"]
    paths = site_pages(started.truth())
    assert 0.15 * len(paths) <= len(faulted) <= 0.65 * len(paths)
    # The same seed at runtime on another process: the same pages.
    faulty.set_faults(rate=0.4, seed=5, kinds=["error_503"])
    assert faulty.truth()["faulted"] == faulted
    # Each page fails exactly as often as the truth says, then serves; unnamed pages never fail.
    failures = {e["path"]: e["failures"] for e in faulted}
    for path in paths:
        statuses = [fetch(started, path).status for _ in range(failures.get(path, 0) + 1)]
        assert statuses == [503] * failures.get(path, 0) + [200], path
    names = set(failures)
    # Other kinds: the same pages; another seed: others; a higher rate: a superset.
    faulty.set_faults(kinds=["reset", "error_500"])
    assert {e["path"] for e in faulty.truth()["faulted"]} == names
    assert {e["kind"] for e in faulty.truth()["faulted"]} == {"reset", "error_500"}
    faulty.set_faults(seed=6, kinds=["error_503"])
    assert {e["path"] for e in faulty.truth()["faulted"]} != names
    faulty.set_faults(seed=5, rate=0.8)
    assert {e["path"] for e in faulty.truth()["faulted"]} > names
    faulty.set_faults(rate=0)
    assert faulty.truth()["faulted"] == []
    assert all(fetch(faulty, path).status == 200 for path in paths)


def test_moved_duplicate_and_invalid_pages_are_faultable_too(replica_factory) -> None:
    site = replica_factory(
        duplicates=True, invalid=True, legacy="redirect", day=14, faults=1, fault_kinds="error_500"
    )
    truth = site.truth()
    expected = set(site_pages(truth))
    expected |= {local_path(d["urls"][1]) for d in truth["duplicates"]}
    expected |= {local_path(i["url"]) for i in truth["invalid"]}
    assert any(a["state"] == "moved" and a["template"] == "news" for a in truth["articles"])
    assert {e["path"] for e in truth["faulted"]} == expected
    assert all(fetch(site, path).status == 500 for path in expected)


def test_only_list_and_article_pages_are_faulted(faulty: ReplicaProcess) -> None:
    faulty.set_faults(rate=1, kinds=["error_500"], seed=1)
    article = faulty.truth()["articles"][0]
    assert fetch(faulty, article["path"]).status == 500
    assert fetch(faulty, f"{LIST}index.html").status == 500  # page 0 under its other name
    normal = {
        "/": 200,
        "/index.html": 200,
        "/col8173/": 200,
        "/robots.txt": 200,
        "/js/common.js": 200,
        "/css/style.css": 200,
        "/no/such/page": 404,
        f"{LIST}index_9.html": 404,  # past the last list page
        "/col8173/col8174/202511/t20251101_999.html": 404,  # no such article
    }
    attachments = [a for a in faulty.truth()["articles"] if a["attachments"]]
    normal[local_path(attachments[0]["attachments"][0]["url"])] = 200
    for path, status in normal.items():
        assert fetch(faulty, path).status == status, path
    assert fetch(faulty, "/_replica/day").status == 200


def test_the_control_api_validates_and_every_change_resets_the_counters(
    faulty: ReplicaProcess,
) -> None:
    faulty.set_faults(rate=1, kinds=["error_502"], seed=2, timeout=3, block=False)
    before = faulty.faults()
    bad: list[object] = [
        {"rate": 1.5},
        {"rate": "0.1"},
        {"kinds": ["error_500", "nope"]},
        {"kinds": []},
        {"seed": 1.5},
        {"timeout": -1},
        {"block": 1},
        {"attempts": {}},
        {"speed": 1},
    ]
    for payload in [*bad, [0.1], "{"]:  # a list and broken JSON too
        assert post_json(faulty, "/_replica/faults", payload).status == 400, payload
    assert faulty.faults() == before
    path = faulty.truth()["faulted"][0]["path"]
    assert fetch(faulty, path).status == 502
    assert faulty.faults()["attempts"] == {path: 1}
    changed = faulty.set_faults(timeout=2)  # omitted keys keep their values
    assert changed == {**before, "timeout": 2.0, "attempts": {}}
    assert fetch(faulty, path).status == 502  # a new configuration fails the page again
    faulty.set_faults(rate=0)
    assert fetch(faulty, path).status == 200
    assert faulty.faults()["attempts"] == {}


def post_json(site: ReplicaProcess, path: str, payload: object) -> Page:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    parts = urlsplit(site.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    with closing(connection):
        connection.request("POST", path, body=body.encode())
        response = connection.getresponse()
        return Page(response.status, response.headers, response.read())


def test_block_challenges_every_list_and_article_request(replica_factory) -> None:
    blocked = replica_factory(articles=40, days=3, block=True)
    assert blocked.faults()["block"] is True
    truth = blocked.truth()
    paths = [*site_pages(truth), f"{LIST}index.html", f"{truth['articles'][1]['path']}?loop=1"]
    paths += [f"{LIST}index_9.html", "/col8173/col8174/202511/t20251101_999.html"]  # 404s
    blocked.reset_stats()
    for path in paths:
        page = fetch(blocked, path)
        assert page.status == 412 and page.body == pages.CHALLENGE_PAGE.encode(), path
    for path in ("/", "/robots.txt", "/js/common.js"):
        assert fetch(blocked, path).status == 200
    stats = blocked.stats()
    assert stats["faults"]["blocked"] == len(paths) and stats["faults"]["attempts"] == 0
    assert stats["by_status"] == {"200": 3, "412": len(paths)}
    assert blocked.set_faults(block=False)["block"] is False
    assert all(fetch(blocked, path).status == 200 for path in site_pages(truth))
    assert blocked.set_faults(block=True)["block"] is True  # and on again at runtime
    assert fetch(blocked, LIST).status == fetch(blocked, paths[-3]).status == 412


def test_a_sibling_site_serves_its_own_column_host_and_articles():
    with ReplicaProcess(site="meixian", host="127.0.0.2") as meixian:
        assert meixian.base_url.startswith("http://127.0.0.2:")
        home = Selector(text=fetch(meixian, "/").text())
        assert home.css("meta[name=SiteDomain]::attr(content)").get() == "www.meixian.gov.cn"
        # A one-level column: no 新闻中心 above it, in the menu or in the routes.
        assert home.css("div.nav a::attr(href)").getall()[:2] == ["/", "/col8264/"]
        truth = meixian.truth()
        assert truth["canonical_origin"] == "http://www.meixian.gov.cn"
        assert truth["list_path"] == "/col8264/"
        listed = Selector(text=fetch(meixian, "/col8264/").text())
        hrefs = listed.css("div.xx_list li a::attr(href)").getall()
        paths = [urlsplit(urljoin(meixian.url("/col8264/"), h)).path for h in hrefs]
        news_paths = [p for p in paths if re.search(r"/t\d{8}_\d+\.html$", p)]
        # (One listed article is in the platform's 信息公开 column, as on chencang.)
        assert news_paths and all(p.startswith(("/col8264/", "/col14317/")) for p in news_paths)
        assert sum(p.startswith("/col8264/") for p in news_paths) > 10
        column = truth["canonical_origin"] + "/col8264/"
        news = [a for a in truth["articles"] if a["url"].startswith(column)]
        assert news and {a["column"] for a in news} == {"政务要闻"}
        assert fetch(meixian, "/col8173/col8174/").status == 404
    with ReplicaProcess() as chencang:
        # Each site its own articles (its own seed), so no two sites serve the same story.
        bodies = {a["body"] for a in chencang.truth()["articles"]}
        assert not bodies & {a["body"] for a in truth["articles"]}
