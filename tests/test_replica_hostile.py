"""The replica's --hostile articles (live markup, text that reads as markup, a 1 MB line), its
request log and its beacon; and a real crawl that keeps both hostile articles as articles."""

from __future__ import annotations

import hashlib
import http.client
import time
from urllib.parse import urlsplit

import pytest
from parsel import Selector

from archive.database import open_archive
from archive.query import version_record
from tests.cli import crawl
from tests.replica.hostile import BEACON_PATH, BEACONS, LONG_LINE, RLM, RLO
from tests.replica.process import ReplicaProcess
from tests.replica.server import RequestLog
from tests.test_replica import (
    LIST,
    canonical_url,
    clean,
    fetch,
    list_items,
    list_path,
    local_path,
    node_text,
    page_count,
    whole_list,
)

TITLE = '<script>alert("标题")</script>"><img src=x onerror=alert(1)>陈仓区召开安全生产专题会议'
SCRIPT_TEXT = "<script>alert('正文')</script>"
IMG_TEXT = '"><img src=x onerror=alert(2)>'
# Every control endpoint: none of these calls may appear in the request log.
CONTROL_GETS = (
    "/_replica/day",
    "/_replica/truth",
    "/_replica/stats",
    "/_replica/faults",
    "/_replica/options",
    "/_replica/requests",
)


@pytest.fixture(scope="module")
def hostile_site(replica_factory) -> ReplicaProcess:
    """The default site with --hostile (day 1; never switch its day)."""
    return replica_factory(hostile=True)


@pytest.fixture(scope="module")
def hostile_truth(hostile_site: ReplicaProcess) -> dict:
    return hostile_site.truth()


@pytest.fixture(scope="module")
def by_role(hostile_truth: dict) -> dict[str, dict]:
    return {entry["role"]: entry for entry in hostile_truth["hostile"]}


def zoom_paragraphs(html: str) -> list[str]:
    """The body block's paragraphs as text (scripts and other elements' markup left out)."""
    nodes = Selector(text=html).css("#Zoom .trs_editor_view > p")
    return [line for line in (clean(node_text(p)) for p in nodes) if line]


def expected_text(entry: dict) -> list[str]:
    return [p for p in entry["paragraphs"] if isinstance(p, str)]


def long_entry(entry: dict) -> dict:
    (found,) = [p for p in entry["paragraphs"] if isinstance(p, dict)]
    return found


# --- (a) off by default


def test_off_by_default_the_truth_has_an_empty_hostile_list(
    replica: ReplicaProcess, hostile_site: ReplicaProcess, hostile_truth: dict
) -> None:
    truth = replica.truth()
    assert truth["hostile"] == []
    added = {entry["url"] for entry in hostile_truth["hostile"]}
    assert len(added) == 2
    default = [canonical_url(item["url"]) for item in whole_list(replica)]
    hostile = [canonical_url(item["url"]) for item in whole_list(hostile_site)]
    assert len(hostile) == len(default) + 2
    assert [url for url in hostile if url not in added] == default
    for key in ("articles", "changes", "list_pages", "duplicates", "invalid", "traps"):
        assert hostile_truth[key] == truth[key], key


# --- (b) the two hostile articles


def test_both_hostile_articles_are_listed_on_paginated_lists(
    hostile_site: ReplicaProcess, hostile_truth: dict, by_role: dict[str, dict]
) -> None:
    assert set(by_role) == {"hostile_markup", "hostile_text"}
    total, _ = page_count(fetch(hostile_site, LIST).text())
    assert total == hostile_truth["list_pages"] == 3
    sizes = [len(list_items(fetch(hostile_site, list_path(page)).text())) for page in range(total)]
    assert sizes[:-1] == [20, 20] and 0 < sizes[-1] < 20
    assert fetch(hostile_site, f"{LIST}index_{total}.html").status == 404
    items = {canonical_url(item["url"]): item for item in whole_list(hostile_site)}
    known = {a["doc_id"] for a in hostile_truth["articles"]}
    for entry in by_role.values():
        assert entry["doc_id"] not in known
        assert entry["url"] == "http://www.chencang.gov.cn" + entry["path"]
        assert entry["path"].endswith(
            f"/t{hostile_truth['date'].replace('-', '')}_{entry['doc_id']}.html"
        )
        item = items[entry["url"]]
        assert item["title"] == entry["title"]
        assert item["date"] == entry["published_at"][:10] == hostile_truth["date"]
    assert items[by_role["hostile_text"]["url"]]["text"] == TITLE[:28] + "…"


def test_the_markup_article_carries_live_markup_in_its_body(
    hostile_site: ReplicaProcess, by_role: dict[str, dict]
) -> None:
    entry = by_role["hostile_markup"]
    assert entry["beacons"] == list(BEACONS)
    port = urlsplit(hostile_site.base_url).port
    page = fetch(hostile_site, entry["path"], {"Host": f"replica.test:{port}"})
    assert page.status == 200
    html = page.text()
    zoom = Selector(text=html).css("#Zoom .trs_editor_view")[0]
    script = zoom.css("script::text").get()
    assert "setAttribute('data-pwned','script')" in script
    assert f"new Image().src='{BEACON_PATH}?from=script'" in script
    assert f"fetch('{BEACON_PATH}?from=fetch')" in script
    image = zoom.css(f'img[src="{BEACON_PATH}?from=img"]')[0]
    assert f"new Image().src='{BEACON_PATH}?from=onerror'" in image.attrib["onerror"]
    assert "'data-pwned','onerror'" in image.attrib["onerror"]
    assert zoom.css(f'link[rel="stylesheet"][href="{BEACON_PATH}?from=css"]')
    assert zoom.css(f'iframe[src="{BEACON_PATH}?from=iframe"]')
    assert zoom.css(f'object[data="{BEACON_PATH}?from=object"]')
    styled = zoom.css(f'p[style="background:url({BEACON_PATH}?from=style)"]')[0]
    assert clean(node_text(styled)) in entry["paragraphs"]
    absolute = f"http://replica.test:{port}{BEACON_PATH}?from=absolute"
    assert zoom.css(f'img[src="{absolute}"]')
    assert zoom_paragraphs(html) == entry["paragraphs"]  # the markup adds no text
    assert all("beacon" not in line and "pwned" not in line for line in entry["paragraphs"])
    assert len(entry["paragraphs"]) >= 5 and entry["title"] and entry["source"]
    # The host slot is volatile: another Host, the same ETag.
    other = fetch(hostile_site, entry["path"])
    assert other.headers["ETag"] == page.headers["ETag"]
    assert f"{hostile_site.base_url}{BEACON_PATH}?from=absolute" in other.text()


def test_the_text_article_shows_markup_as_text(
    hostile_site: ReplicaProcess, by_role: dict[str, dict]
) -> None:
    entry = by_role["hostile_text"]
    assert entry["title"] == TITLE and entry["beacons"] == []
    page = fetch(hostile_site, entry["path"])
    assert page.status == 200 and int(page.headers["Content-Length"]) == len(page.body)
    html = page.text()
    assert "<script>alert(" not in html and "<img src=x" not in html  # escaped in the source
    assert "&lt;script&gt;alert(&quot;标题&quot;)" in html  # in the ArticleTitle attribute
    selector = Selector(text=html)
    assert selector.css("div.hdpd2 h2::text").get() == TITLE
    assert selector.css('meta[name="ArticleTitle"]::attr(content)').get() == TITLE
    assert selector.css("title::text").get() == f"{TITLE}_陈仓要闻_宝鸡市陈仓区人民政府"
    assert not selector.css("#Zoom script, #Zoom img")
    paragraphs = zoom_paragraphs(html)
    assert len(paragraphs) == len(entry["paragraphs"])
    for found, expected in zip(paragraphs, entry["paragraphs"], strict=True):
        if isinstance(expected, dict):
            assert len(found) == expected["length"] >= LONG_LINE
            assert found[:20] == expected["start"]
            assert hashlib.sha256(found.encode()).hexdigest() == expected["sha256"]
        else:
            assert found == expected
    text = expected_text(entry)
    assert any(SCRIPT_TEXT in line for line in text)
    assert any(IMG_TEXT in line for line in text)
    assert any(RLO in line and RLM in line for line in text)


def test_the_one_megabyte_line_is_one_line_served_from_the_cache(
    hostile_site: ReplicaProcess, by_role: dict[str, dict]
) -> None:
    entry = by_role["hostile_text"]
    first = fetch(hostile_site, entry["path"])
    assert 1_000_000 < len(first.body) < 1_200_000
    long = long_entry(entry)
    (line,) = [raw for raw in first.body.split(b"\n") if len(raw) > 500_000]
    assert len(line) > 1_000_000 and b"\r" not in line
    assert long["start"].encode() in line
    started = time.monotonic()
    for _ in range(10):
        again = fetch(hostile_site, entry["path"])
        assert int(again.headers["Content-Length"]) == len(again.body) > 1_000_000
    assert time.monotonic() - started < 5  # rendered once, then a few joins per request
    etag = first.headers["ETag"]
    assert fetch(hostile_site, entry["path"], {"If-None-Match": etag}).status == 304


# --- (c) the request log and the beacon


def raw_request(site: ReplicaProcess, requests: list[tuple[str, str, dict[str, str]]]) -> list:
    """Several requests on one keep-alive connection; (status, headers, body) of each."""
    parts = urlsplit(site.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    answers = []
    try:
        for method, path, headers in requests:
            connection.request(method, path, headers=headers)
            response = connection.getresponse()
            answers.append((response.status, response.headers, response.read()))
    finally:
        connection.close()
    return answers


def test_the_request_log_records_site_requests_with_their_user_agent(
    hostile_site: ReplicaProcess, by_role: dict[str, dict]
) -> None:
    assert hostile_site.reset_requests() == {"requests": []}
    path = by_role["hostile_markup"]["path"]
    agent = "HostileTest/1.0 (+replica)"
    answers = raw_request(
        hostile_site,
        [
            ("GET", path, {"User-Agent": agent}),
            ("GET", f"{BEACON_PATH}?from=img", {"User-Agent": "Mozilla/5.0 test"}),
            ("HEAD", f"{path}?utm_source=x", {"User-Agent": agent}),
            ("POST", f"{BEACON_PATH}?from=post", {"User-Agent": agent}),
            ("GET", "/no/such/page", {}),
        ],
    )
    assert [status for status, _, _ in answers] == [200, 204, 200, 204, 404]
    _, beacon_headers, beacon_body = answers[1]
    assert beacon_body == b"" and "Content-Length" not in beacon_headers
    for control in CONTROL_GETS:
        assert fetch(hostile_site, control).status == 200
    hostile_site.reset_stats()
    hostile_site.set_faults(rate=0)
    assert hostile_site.set_day(1)["day"] == 1
    log = hostile_site.requests()["requests"]
    assert log == [
        {"method": "GET", "path": path, "user_agent": agent},
        {"method": "GET", "path": f"{BEACON_PATH}?from=img", "user_agent": "Mozilla/5.0 test"},
        {"method": "HEAD", "path": f"{path}?utm_source=x", "user_agent": agent},
        {"method": "POST", "path": f"{BEACON_PATH}?from=post", "user_agent": agent},
        {"method": "GET", "path": "/no/such/page", "user_agent": None},
    ]
    assert hostile_site.reset_requests() == {"requests": []}
    assert hostile_site.requests() == {"requests": []}


def test_the_request_log_is_always_on_and_the_beacon_counts_as_other(
    replica_factory,
) -> None:
    site = replica_factory(articles=40, days=2)
    fetch(site, "/robots.txt")
    fetch(site, f"{BEACON_PATH}?from=anything&x=1")
    assert [entry["path"] for entry in site.requests()["requests"]] == [
        "/robots.txt",
        f"{BEACON_PATH}?from=anything&x=1",
    ]
    stats = site.stats()
    assert stats["by_status"] == {"200": 1, "204": 1} and stats["by_kind"]["other"] == 2
    assert stats["bytes_sent"] == len(fetch(site, "/robots.txt").body)


def test_the_request_log_keeps_the_most_recent_entries() -> None:
    log = RequestLog(limit=3)
    for number in range(5):
        log.record("GET", f"/{number}", None)
    assert [entry["path"] for entry in log.document()["requests"]] == ["/2", "/3", "/4"]
    log.reset()
    assert log.document() == {"requests": []}


# --- (d) a real crawl keeps both as articles


@pytest.fixture(scope="module")
def crawled(hostile_site: ReplicaProcess, tmp_path_factory) -> tuple[dict, object, list]:
    db = tmp_path_factory.mktemp("hostile") / "archive.db"
    hostile_site.reset_requests()
    summary = crawl(hostile_site.base_url, db)
    log = hostile_site.requests()["requests"]
    return summary, open_archive(str(db), create=False, read_only=True), log


def test_a_crawl_keeps_both_hostile_articles(
    crawled: tuple, hostile_truth: dict, by_role: dict[str, dict]
) -> None:
    summary, archive, log = crawled
    expected = sum(1 for a in hostile_truth["articles"] if a["listed"]) + 2
    assert summary["new"] == expected and summary["rejected"] == 0 and summary["errors"] == 0
    assert not [entry for entry in log if entry["path"].startswith("/_replica/")]
    assert {entry["user_agent"] for entry in log} == {log[0]["user_agent"]}
    assert log[0]["user_agent"].startswith("newsarchive/")
    for entry in by_role.values():
        assert any(local_path(e["path"]) == entry["path"] for e in log)

    text = by_role["hostile_text"]
    record = version_record(archive, text["url"]).record
    assert record.title == TITLE
    assert record.published_at.isoformat() == text["published_at"]
    assert record.source == text["source"]
    lines = record.body.split("\n")
    assert [line for line in lines if len(line) < LONG_LINE] == expected_text(text)
    (long,) = [line for line in lines if len(line) >= LONG_LINE]
    digest = hashlib.sha256(long.encode()).hexdigest()
    assert (len(long), long[:20], digest) == tuple(long_entry(text).values())
    assert SCRIPT_TEXT in record.body and IMG_TEXT in record.body
    assert RLO in record.body and RLM in record.body
    assert "&lt;script&gt;" in record.body_html and "<script" not in record.body_html

    markup = by_role["hostile_markup"]
    record = version_record(archive, markup["url"]).record
    assert record.title == markup["title"]
    assert record.body.split("\n") == markup["paragraphs"]
    for word in ("<script", "data-pwned", "beacon", "fetch(", "onerror"):
        assert word not in record.body, word
    for word in ("<script", "onerror", "<iframe", "<object", "<link", "style="):
        assert word not in record.body_html, word
