"""The replica site over real HTTP: determinism, lists, truth against pages, timeline, validators."""

from __future__ import annotations

import http.client
import json
import re
import urllib.robotparser
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

import pytest
from parsel import Selector

from tests.replica import vocabulary
from tests.replica.process import ReplicaProcess

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
    parts = urlsplit(replica.base_url)
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
    }
    assert truth["canonical_origin"] == ORIGIN and truth["list_path"] == LIST
    for article in truth["articles"]:
        assert article["url"] == ORIGIN + article["path"]
        assert re.search(rf"_{article['doc_id']}\.html$", article["path"])
        datetime.fromisoformat(article["published_at"])
    doc_ids = [a["doc_id"] for a in truth["articles"]]
    assert len(set(doc_ids)) == len(doc_ids)
    assert json.loads(json.dumps(truth)) == truth
